/*
 * test_ctl_out: wastetrackctl's output (tools/ctl/ctl_out.c): display
 * width of UTF-8 text, CSV quoting (RFC 4180), JSON escaping, numbers,
 * and whole tables, CSV and JSON documents, byte for byte.
 */
#include "check.h"
#include "ctl_out.h"

#include <stdlib.h>
#include <string.h>

/* What fn wrote through a memory stream, NUL-terminated (the caller
 * frees). */
#define CAPTURE(buf, fp, stmt)                                                 \
	do {                                                                   \
		size_t len_;                                                   \
		FILE *fp = open_memstream(&(buf), &len_);                      \
		stmt;                                                          \
		fclose(fp);                                                    \
	} while (0)

static void
test_width(void)
{
	CHECK_INT(ctl_display_width(""), 0);
	CHECK_INT(ctl_display_width("abc"), 3);
	/* CJK ideographs are two columns each. */
	CHECK_INT(ctl_display_width("南关区"), 6);
	CHECK_INT(ctl_display_width("全市"), 4);
	CHECK_INT(ctl_display_width("吉A10001"), 8);
	/* Fullwidth Latin two, halfwidth katakana one, Hangul two. */
	CHECK_INT(ctl_display_width("\xef\xbc\xa1"), 2);     /* U+FF21 Ａ */
	CHECK_INT(ctl_display_width("\xef\xbd\xb1"), 1);     /* U+FF71 ｱ */
	CHECK_INT(ctl_display_width("\xea\xb0\x80"), 2);     /* U+AC00 가 */
	CHECK_INT(ctl_display_width("\xf0\x9f\x98\x80"), 2); /* U+1F600 */
	/* A combining accent takes no column; the ellipsis one. */
	CHECK_INT(ctl_display_width("e\xcc\x81"), 1);
	CHECK_INT(ctl_display_width("\xe2\x80\xa6"), 1);
	/* Invalid bytes, overlong forms and surrogates: a column each. */
	CHECK_INT(ctl_display_width("\xff"), 1);
	CHECK_INT(ctl_display_width("a\xc0\xafz"), 4);
	CHECK_INT(ctl_display_width("\xed\xa0\x80"), 3);
	/* A sequence cut short. */
	CHECK_INT(ctl_display_width("\xe5\x8d"), 2);
}

static void
check_csv(const char *in, const char *want)
{
	char *buf = NULL;

	CAPTURE(buf, fp, ctl_csv_field(fp, in));
	CHECK_STR(buf, want);
	free(buf);
}

static void
test_csv(void)
{
	check_csv("", "");
	check_csv("plain", "plain");
	check_csv("朝阳区", "朝阳区");
	check_csv("a,b", "\"a,b\"");
	check_csv("say \"hi\"", "\"say \"\"hi\"\"\"");
	check_csv("\"", "\"\"\"\"");
	check_csv("two\nlines", "\"two\nlines\"");
	check_csv("cr\rhere", "\"cr\rhere\"");
	/* Spaces and semicolons need no quotes in RFC 4180. */
	check_csv(" x; y ", " x; y ");
	/* Not UTF-8: U+FFFD per bad byte, so the file stays UTF-8. */
	check_csv("a\xffz", "a\xef\xbf\xbdz");
}

static void
check_json(const char *in, const char *want)
{
	char *buf = NULL;

	CAPTURE(buf, fp, ctl_json_string(fp, in));
	CHECK_STR(buf, want);
	free(buf);
}

static void
test_json(void)
{
	check_json("", "\"\"");
	check_json("绿园区", "\"绿园区\"");
	check_json("q\"b\\s/", "\"q\\\"b\\\\s/\"");
	check_json("\n\r\t", "\"\\n\\r\\t\"");
	check_json("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	check_json("\xc3(", "\"\xef\xbf\xbd(\"");
	/* U+2028 is valid in JSON strings: kept. */
	check_json("\xe2\x80\xa8", "\"\xe2\x80\xa8\"");
}

static void
test_real(void)
{
	char b[40];

	ctl_fmt_real(b, sizeof(b), 0.2);
	CHECK_STR(b, "0.2");
	ctl_fmt_real(b, sizeof(b), 24000);
	CHECK_STR(b, "24000");
	ctl_fmt_real(b, sizeof(b), 18200.0 / 24000);
	CHECK_STR(b, "0.7583333333333333");
	ctl_fmt_real(b, sizeof(b), 1.0 / 3);
	CHECK_STR(b, "0.3333333333333333");
	ctl_fmt_real(b, sizeof(b), -12.5);
	CHECK_STR(b, "-12.5");
	ctl_fmt_real(b, sizeof(b), 0.1 + 0.2);
	CHECK_STR(b, "0.30000000000000004");
	CHECK(strtod(b, NULL) == 0.1 + 0.2);
}

/* Two rows of a report-like table through a whole document. */
static char *
render(enum ctl_fmt fmt, int sections)
{
	static const char *const names[] = { "district", "collected_kg",
		"recycling_rate", "updated_ms", "note" };
	struct store_value v[2][5];
	struct ctl_out *o;
	char *buf = NULL;
	size_t len;
	FILE *fp = open_memstream(&buf, &len);

	memset(v, 0, sizeof(v));
	v[0][0] = (struct store_value){ STORE_V_TEXT, 0, 0, "南关区" };
	v[0][1] = (struct store_value){ STORE_V_REAL, 0, 24000, NULL };
	v[0][2] = (struct store_value){ STORE_V_REAL, 0, 0.2, NULL };
	/* 2023-08-07T00:00:00Z, shown at +08:00 in a table */
	v[0][3] = (struct store_value){ STORE_V_INT, 1691366400000, 0, NULL };
	v[0][4] = (struct store_value){ STORE_V_TEXT, 0, 0, "a,\"b\"" };
	v[1][0] = (struct store_value){ STORE_V_TEXT, 0, 0, "x" };
	v[1][1] = (struct store_value){ STORE_V_INT, 5, 0, NULL };
	v[1][2] = (struct store_value){ STORE_V_NULL, 0, 0, NULL };
	v[1][3] = (struct store_value){ STORE_V_NULL, 0, 0, NULL };
	v[1][4] = (struct store_value){ STORE_V_TEXT, 0, 0, "tab\there" };
	o = ctl_out_new(fp, fmt, sections, 480);
	CHECK(o != NULL);
	CHECK(ctl_out_begin(o, sections ? "first" : NULL, 0) == 0);
	CHECK(ctl_out_row(o, 5, names, NULL) == 0);
	CHECK(ctl_out_row(o, 5, names, v[0]) == 0);
	CHECK(ctl_out_row(o, 5, names, v[1]) == 0);
	CHECK(ctl_out_end(o) == 0);
	if (sections) {
		CHECK(ctl_out_begin(o, "empty", 1) == 0);
		CHECK(ctl_out_row(o, 1, names, NULL) == 0);
		CHECK(ctl_out_end(o) == 0);
	}
	CHECK(ctl_out_close(o) == 0);
	fclose(fp);
	return buf;
}

static void
test_documents(void)
{
	char *s;

	s = render(CTL_FMT_CSV, 0);
	CHECK_STR(s,
	    "district,collected_kg,recycling_rate,updated_ms,note\n"
	    "南关区,24000,0.2,1691366400000,\"a,\"\"b\"\"\"\n"
	    "x,5,,,tab\there\n");
	free(s);
	s = render(CTL_FMT_JSON, 0);
	CHECK_STR(s,
	    "[\n  {\"district\": \"南关区\", \"collected_kg\": 24000, "
	    "\"recycling_rate\": 0.2, \"updated_ms\": 1691366400000, "
	    "\"note\": \"a,\\\"b\\\"\"},\n"
	    "  {\"district\": \"x\", \"collected_kg\": 5, "
	    "\"recycling_rate\": null, \"updated_ms\": null, "
	    "\"note\": \"tab\\there\"}\n]\n");
	free(s);
	s = render(CTL_FMT_JSON, 1);
	CHECK(strstr(s, "{\n \"first\": [\n") == s);
	CHECK(strstr(s, ",\n \"empty\": null\n}\n") != NULL);
	free(s);
	s = render(CTL_FMT_CSV, 1);
	CHECK(strncmp(s, "# first\ndistrict,", 17) == 0);
	CHECK(strstr(s, "\n\n# empty\ndistrict\n") != NULL);
	free(s);
	/* A table: the rate as a percentage, the time local, NULL "-", the
	 * tab a space; numeric columns right-aligned, headers too. 南关区 is
	 * six columns wide: four spaces pad it to "district" and the gap. */
	s = render(CTL_FMT_TABLE, 0);
	CHECK_STR(s,
	    "district  collected_kg  recycling_rate           updated_ms  "
	    "note\n"
	    "南关区           24000           20.0%  2023-08-07 08:00:00  "
	    "a,\"b\"\n"
	    "x                    5               -                    -  "
	    "tab here\n");
	free(s);
}

int
main(void)
{
	test_width();
	test_csv();
	test_json();
	test_real();
	test_documents();
	return check_result("ctl_out");
}
