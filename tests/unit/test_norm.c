/* test_norm: table-driven checks of lib/norm.c against norm.h. */
#include "check.h"
#include "event.h"
#include "norm.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CST	 480 /* Asia/Shanghai, minutes east of UTC */

struct time_case {
	const char *in;
	int rc;
	int64_t ms;
	uint32_t dq;
};

static const struct time_case time_cases[] = {
	/* the scenario of tests/fixtures/README.md */
	{ "2023-08-07T14:02:58+08:00", 0, INT64_C(1691388178000), 0 },
	{ "2023-08-07T06:12:40Z", 0, INT64_C(1691388760000), 0 },
	{ "2023-08-07T14:21:05+08:00", 0, INT64_C(1691389265000), 0 },
	{ "2023-08-07T14:03:22+08:00", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07T06:03:22Z", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07t06:03:22z", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07T14:03:22+0800", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07T14:03:22+08", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07 14:03:22+08:00", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07T00:33:22-05:30", 0, INT64_C(1691388202000), 0 },
	{ "2023-08-07T14:03:22.246+08:00", 0, INT64_C(1691388202246), 0 },
	{ "2023-08-07T14:03:22.2+08:00", 0, INT64_C(1691388202200), 0 },
	{ "2023-08-07T14:03:22,5Z", 0, INT64_C(1691417002500), 0 },
	{ "2023-08-07T14:03:22.246999999+08:00", 0, INT64_C(1691388202246), 0 },
	{ "2023-08-07 14:03:22", 0, INT64_C(1691388202000), DQ_TZ_ASSUMED },
	{ "2023-08-07T14:03:22.5", 0, INT64_C(1691388202500), DQ_TZ_ASSUMED },
	{ "2024-02-29T00:00:00Z", 0, INT64_C(1709164800000), 0 },
	{ "2000-02-29T00:00:00Z", 0, INT64_C(951782400000), 0 },
	{ "2000-01-01T00:00:00Z", 0, INT64_C(946684800000), 0 },
	{ "2100-01-01T08:00:00+08:00", 0, INT64_C(4102444800000), 0 },
	{ "2023-08-07T23:59:59+14:00", 0, INT64_C(1691402399000), 0 },
	{ "1691388202", 0, INT64_C(1691388202000), 0 },
	{ "1691388202000", 0, INT64_C(1691388202000), 0 },
	{ "1691388202246", 0, INT64_C(1691388202246), 0 },
	/* rejects */
	{ "2023-02-30T00:00:00Z", -1, 0, 0 },
	{ "2023-02-29T00:00:00Z", -1, 0, 0 },
	{ "2100-02-29T00:00:00Z", -1, 0, 0 },
	{ "2023-04-31T00:00:00Z", -1, 0, 0 },
	{ "2023-13-01T00:00:00Z", -1, 0, 0 },
	{ "2023-00-10T00:00:00Z", -1, 0, 0 },
	{ "2023-08-00T00:00:00Z", -1, 0, 0 },
	{ "2023-08-07T25:00:00Z", -1, 0, 0 },
	{ "2023-08-07T24:00:00Z", -1, 0, 0 },
	{ "2023-08-07T14:60:00Z", -1, 0, 0 },
	{ "2023-08-07T14:03:60Z", -1, 0, 0 },
	{ "2023-08-07T14:03:22+08:00x", -1, 0, 0 },
	{ "2023-08-07T14:03:22Zx", -1, 0, 0 },
	{ "2023-08-07T14:03:22 ", -1, 0, 0 },
	{ " 2023-08-07T14:03:22Z", -1, 0, 0 },
	{ "2023-08-07T14:03:22+15:00", -1, 0, 0 },
	{ "2023-08-07T14:03:22+14:01", -1, 0, 0 },
	{ "2023-08-07T14:03:22+08:60", -1, 0, 0 },
	{ "2023-08-07T14:03:22+8:00", -1, 0, 0 },
	{ "2023-08-07T14:03:22+08:0", -1, 0, 0 },
	{ "2023-08-07T14:03:22+080", -1, 0, 0 },
	{ "2023-08-07T14:03:22.+08:00", -1, 0, 0 },
	{ "2023-08-07T14:03+08:00", -1, 0, 0 },
	{ "2023-08-07", -1, 0, 0 },
	{ "2023-8-07T14:03:22Z", -1, 0, 0 },
	{ "2023/08/07 14:03:22", -1, 0, 0 },
	{ "2023-08-07X14:03:22Z", -1, 0, 0 },
	{ "garbage", -1, 0, 0 },
	{ "", -1, 0, 0 },
	{ "1970-01-01T00:00:00Z", -1, 0, 0 },
	{ "1999-12-31T23:59:59Z", -1, 0, 0 },
	{ "2100-01-01T00:00:00.001Z", -1, 0, 0 },
	{ "0", -1, 0, 0 },
	{ "000000000000", -1, 0, 0 },
	{ "20230807140322", -1, 0, 0 },
	{ "99999999999999999999", -1, 0, 0 },
	{ "-1691388202", -1, 0, 0 },
	{ "1691388202.5", -1, 0, 0 },
};

static void
test_time(void)
{
	const struct time_case *c;
	size_t i;
	int64_t ms;
	uint32_t dq;
	int rc;

	for (i = 0; i < NELEM(time_cases); i++) {
		c = &time_cases[i];
		ms = -7;
		dq = 0;
		rc = norm_time(c->in, CST, &ms, &dq);
		if (rc != c->rc || (rc == 0 && ms != c->ms) || dq != c->dq)
			fprintf(stderr,
			    "norm_time(\"%s\"): rc %d ms %lld "
			    "dq %u\n",
			    c->in, rc, (long long)ms, dq);
		CHECK_INT(rc, c->rc);
		CHECK_INT(dq, c->dq);
		if (c->rc == 0)
			CHECK_INT(ms, c->ms);
		else
			CHECK_INT(ms, -7); /* untouched on failure */
	}

	/* naive time honours the configured offset, not +08:00 */
	CHECK_INT(norm_time("2023-08-07 06:03:22", 0, &ms, NULL), 0);
	CHECK_INT(ms, INT64_C(1691388202000));
	CHECK_INT(norm_time("2023-08-07 01:03:22", -300, &ms, NULL), 0);
	CHECK_INT(ms, INT64_C(1691388202000));
	/* existing flags are kept, only TZ_ASSUMED is added */
	dq = DQ_LATE;
	CHECK_INT(norm_time("2023-08-07 14:03:22", CST, &ms, &dq), 0);
	CHECK_INT(dq, DQ_LATE | DQ_TZ_ASSUMED);
	/* an absurd configured offset is refused only where it is used */
	CHECK_INT(norm_time("2023-08-07 14:03:22", 100000, &ms, NULL), -1);
	CHECK_INT(norm_time("2023-08-07T06:03:22Z", 100000, &ms, NULL), 0);
	CHECK_INT(norm_time(NULL, CST, &ms, NULL), -1);
}

static void
test_epoch(void)
{
	int64_t ms = 0;

	CHECK_INT(norm_epoch(1691388202, &ms), 0);
	CHECK_INT(ms, INT64_C(1691388202000));
	CHECK_INT(norm_epoch(1691388202000.0, &ms), 0);
	CHECK_INT(ms, INT64_C(1691388202000));
	CHECK_INT(norm_epoch(1691388202.246, &ms), 0);
	CHECK_INT(ms, INT64_C(1691388202246));
	CHECK_INT(norm_epoch(1691388202246.9, &ms), 0);
	CHECK_INT(ms, INT64_C(1691388202246));
	CHECK_INT(norm_epoch(946684800, &ms), 0);
	CHECK_INT(ms, INT64_C(946684800000));
	CHECK_INT(norm_epoch(4102444800000.0, &ms), 0);
	CHECK_INT(ms, INT64_C(4102444800000));

	ms = -7;
	CHECK_INT(norm_epoch(NAN, &ms), -1);
	CHECK_INT(norm_epoch(INFINITY, &ms), -1);
	CHECK_INT(norm_epoch(-INFINITY, &ms), -1);
	CHECK_INT(norm_epoch(-1691388202, &ms), -1);
	CHECK_INT(norm_epoch(0, &ms), -1);
	CHECK_INT(norm_epoch(946684799, &ms), -1);
	CHECK_INT(norm_epoch(4102444801.0, &ms), -1);
	CHECK_INT(norm_epoch(4102444800001.0, &ms), -1);
	CHECK_INT(norm_epoch(99999999999.0, &ms), -1);	/* s, year 5138 */
	CHECK_INT(norm_epoch(100000000000.0, &ms), -1); /* ms, year 1973 */
	CHECK_INT(norm_epoch(1e300, &ms), -1);
	CHECK_INT(ms, -7);
}

struct day_case {
	int64_t ms;
	int off;
	const char *day;
};

static const struct day_case day_cases[] = {
	{ INT64_C(1691424000000), CST, "2023-08-08" },
	{ INT64_C(1691423999999), CST, "2023-08-07" },
	{ INT64_C(1691388202000), CST, "2023-08-07" },
	{ INT64_C(1691366400000), 0, "2023-08-07" },
	{ INT64_C(1691366399999), 0, "2023-08-06" },
	{ INT64_C(1691366400000), -1, "2023-08-06" },
	{ INT64_C(1709164800000), 0, "2024-02-29" },
	{ INT64_C(951782400000), 0, "2000-02-29" },
	{ 0, 0, "1970-01-01" },
	{ -1, 0, "1969-12-31" },
	{ -INT64_C(86400000), 0, "1969-12-31" },
	{ -INT64_C(86400001), 0, "1969-12-30" },
	{ -1, CST, "1970-01-01" },
	{ INT64_C(-28800001), CST, "1969-12-31" },
	{ INT64_C(-2208988800000), 0, "1900-01-01" },
	{ INT64_C(4102444799999), 0, "2099-12-31" },
};

static void
test_local_day(void)
{
	char day[16];
	size_t i;

	for (i = 0; i < NELEM(day_cases); i++) {
		memset(day, 'x', sizeof(day));
		norm_local_day(day_cases[i].ms, day_cases[i].off, day);
		CHECK_STR(day, day_cases[i].day);
	}
	/* WT_NOTIME must neither overflow nor overrun the 11-byte buffer */
	memset(day, 'x', sizeof(day));
	norm_local_day(WT_NOTIME, CST, day);
	CHECK_INT(strlen(day), 10);
	CHECK_INT(day[11], 'x');
	norm_local_day(INT64_MAX, -CST, day);
	CHECK_INT(strlen(day), 10);
}

struct offset_case {
	const char *in;
	int rc, min;
};

static const struct offset_case offset_cases[] = {
	{ "Z", 0, 0 },
	{ "z", 0, 0 },
	{ "UTC", 0, 0 },
	{ "utc", 0, 0 },
	{ "+08:00", 0, 480 },
	{ "+0800", 0, 480 },
	{ "+08", 0, 480 },
	{ "-05:30", 0, -330 },
	{ "-0530", 0, -330 },
	{ "+00:00", 0, 0 },
	{ "-00:00", 0, 0 },
	{ "+14:00", 0, 840 },
	{ "-14:00", 0, -840 },
	{ "+05:45", 0, 345 },
	{ "", -1, 0 },
	{ "08:00", -1, 0 },
	{ "+8", -1, 0 },
	{ "+8:00", -1, 0 },
	{ "+08:00 ", -1, 0 },
	{ "+08:60", -1, 0 },
	{ "+14:30", -1, 0 },
	{ "+15", -1, 0 },
	{ "+080", -1, 0 },
	{ "+08:0", -1, 0 },
	{ "GMT", -1, 0 },
	{ "UTC+8", -1, 0 },
	{ "ZZ", -1, 0 },
	{ "Asia/Shanghai", -1, 0 },
};

static void
test_offset(void)
{
	size_t i;
	int m;

	for (i = 0; i < NELEM(offset_cases); i++) {
		m = 12345;
		CHECK_INT(norm_offset(offset_cases[i].in, &m),
		    offset_cases[i].rc);
		CHECK_INT(m,
		    offset_cases[i].rc == 0 ? offset_cases[i].min : 12345);
	}
	CHECK_INT(norm_offset(NULL, &m), -1);
}

struct plate_case {
	const char *in;
	int rc;
	const char *out;
	uint32_t dq;
};

static const struct plate_case plate_cases[] = {
	{ "吉A5G217", 0, "吉A5G217", 0 }, { "吉a·5g217", 0, "吉A5G217", 0 },
	{ "吉A·5G217", 0, "吉A5G217", 0 },
	{ "吉Ａ５Ｇ２１７", 0, "吉A5G217", 0 },
	{ "吉ａ　５ｇ２１７", 0, "吉A5G217", 0 },
	{ "吉A 5G217", 0, "吉A5G217", 0 }, { "吉A-5G217", 0, "吉A5G217", 0 },
	{ "吉A_5G217", 0, "吉A5G217", 0 }, { "吉A.5G217", 0, "吉A5G217", 0 },
	{ "吉A\t5G217", 0, "吉A5G217", 0 }, { "吉A•5G217", 0, "吉A5G217", 0 },
	{ "吉A・5G217", 0, "吉A5G217", 0 }, { "吉A．5G217", 0, "吉A5G217", 0 },
	{ " 吉A12345 ", 0, "吉A12345", 0 }, { "京B1234挂", 0, "京B1234挂", 0 },
	{ "粤Z1234港", 0, "粤Z1234港", 0 }, { "吉A1234学", 0, "吉A1234学", 0 },
	{ "吉A 02851D", 0, "吉A02851D", 0 }, { "吉A02851F", 0, "吉A02851F", 0 },
	{ "吉AD12345", 0, "吉AD12345", 0 }, { "吉AF12345", 0, "吉AF12345", 0 },
	{ "吉ADA1234", 0, "吉ADA1234", 0 }, { "吉AK12345", 0, "吉AK12345", 0 },
	{ "琼A12345", 0, "琼A12345", 0 },
	/* kept but flagged */
	{ "JIA5G217", 0, "JIA5G217", DQ_PLATE_INVALID },
	{ "吉A8Z2I7", 0, "吉A8Z2I7", DQ_PLATE_INVALID }, /* I unused */
	{ "吉A5G2O7", 0, "吉A5G2O7", DQ_PLATE_INVALID }, /* O unused */
	{ "吉A5G21", 0, "吉A5G21", DQ_PLATE_INVALID },
	{ "吉A5G21777", 0, "吉A5G21777", DQ_PLATE_INVALID },
	{ "吉15G2177", 0, "吉15G2177", DQ_PLATE_INVALID },
	{ "台A12345", 0, "台A12345", DQ_PLATE_INVALID },
	{ "吉A123挂4", 0, "吉A123挂4", DQ_PLATE_INVALID },
	{ "吉AX12345", 0, "吉AX12345", DQ_PLATE_INVALID }, /* X no energy */
	{ "吉AD1234A", 0, "吉AD1234A", DQ_PLATE_INVALID },
	{ "吉A1234AD", 0, "吉A1234AD", DQ_PLATE_INVALID },
	{ "吉A12345X", 0, "吉A12345X", DQ_PLATE_INVALID },
	{ "吉AI12345", 0, "吉AI12345", DQ_PLATE_INVALID },
	{ "无牌", 0, "无牌", DQ_PLATE_INVALID },
	{ "吉A1234567890123", 0, "吉A1234567890123", DQ_PLATE_INVALID },
	/* rejected */
	{ "", -1, NULL, 0 }, { " ·-_.　", -1, NULL, 0 },
	{ "\xbc\xaa"
	  "A5G217",
	    -1, NULL, 0 },		    /* GBK 吉, not transcoded */
	{ "吉A5G21\xe5\x90", -1, NULL, 0 }, /* truncated sequence */
};

static void
test_plate(void)
{
	const struct plate_case *c;
	char out[64];
	uint32_t dq;
	size_t i;

	for (i = 0; i < NELEM(plate_cases); i++) {
		c = &plate_cases[i];
		dq = 0;
		strcpy(out, "untouched");
		CHECK_INT(norm_plate(c->in, out, sizeof(out), &dq), c->rc);
		if (c->rc == 0)
			CHECK_STR(out, c->out);
		CHECK_INT(dq, c->dq);
		if (dq != c->dq)
			fprintf(stderr, "  plate \"%s\"\n", c->in);
	}

	/* buffer bounds: "吉A5G217" needs 9 bytes + NUL */
	CHECK_INT(norm_plate("吉A5G217", out, 10, NULL), 0);
	CHECK_STR(out, "吉A5G217");
	CHECK_INT(norm_plate("吉A5G217", out, 9, NULL), -1);
	CHECK_INT(norm_plate("吉A5G217", out, 0, NULL), -1);
	CHECK_INT(norm_plate(NULL, out, sizeof(out), NULL), -1);
	/* the result of a canonical plate is a fixed point */
	CHECK_INT(norm_plate("吉A02851D", out, sizeof(out), NULL), 0);
	CHECK_STR(out, "吉A02851D");
}

struct mass_case {
	double v;
	const char *unit;
	int rc;
	double kg;
};

static const struct mass_case mass_cases[] = {
	{ 4750, "kg", 0, 4750 },
	{ 4750, "KG", 0, 4750 },
	{ 4750, "Kg", 0, 4750 },
	{ 4750, NULL, 0, 4750 },
	{ 4750, "", 0, 4750 },
	{ 4750, "公斤", 0, 4750 },
	{ 4750, "千克", 0, 4750 },
	{ 4.75, "t", 0, 4750 },
	{ 4.75, "T", 0, 4750 },
	{ 4.75, "吨", 0, 4750 },
	{ 4.75, "tonne", 0, 4750 },
	{ 4750000, "g", 0, 4750 },
	{ 4750000, "克", 0, 4750 },
	{ 100, "lb", 0, 45.359237 },
	{ 0, "kg", 0, 0 },
	{ 1, "furlong", -1, 0 },
	{ 1, "kgs ", -1, 0 },
	{ 1, " kg", -1, 0 },
	{ 1, "m3", -1, 0 },
	{ 1, "方", -1, 0 },
	{ 1, "车次", -1, 0 },
	{ -1, "kg", -1, 0 },
	{ NAN, "kg", -1, 0 },
	{ INFINITY, "kg", -1, 0 },
	{ 1e308, "t", -1, 0 },
};

static void
test_mass(void)
{
	const struct mass_case *c;
	double kg;
	size_t i;

	for (i = 0; i < NELEM(mass_cases); i++) {
		c = &mass_cases[i];
		kg = -7;
		CHECK_INT(norm_mass_kg(c->v, c->unit, &kg), c->rc);
		CHECK_NEAR(kg, c->rc == 0 ? c->kg : -7, 1e-9);
	}
}

struct waste_case {
	const char *in, *code;
};

static const struct waste_case waste_cases[] = {
	{ "msw.food", "msw.food" },
	{ "MSW.FOOD", "msw.food" },
	{ "unknown", "unknown" },
	{ "hw", "hw" },
	{ "agri.straw", "agri.straw" },
	{ "厨余垃圾", "msw.food" },
	{ "湿垃圾", "msw.food" },
	{ "餐厨垃圾", "msw.food" },
	{ "易腐垃圾", "msw.food" },
	{ "家庭厨余垃圾", "msw.food" },
	{ "其他垃圾", "msw.residual" },
	{ "其它垃圾", "msw.residual" },
	{ "干垃圾", "msw.residual" },
	{ "可回收物", "msw.recyclable" },
	{ "可回收垃圾", "msw.recyclable" },
	{ "有害垃圾", "msw.hazardous" },
	{ "混合垃圾", "msw.mixed" },
	{ "生活垃圾", "msw.mixed" },
	{ "大件垃圾", "msw.bulky" },
	{ "园林垃圾", "msw.garden" },
	{ "园林绿化垃圾", "msw.garden" },
	{ "工程渣土", "cw.excavated_soil" },
	{ "渣土", "cw.excavated_soil" },
	{ "工程泥浆", "cw.slurry" },
	{ "工程垃圾", "cw.engineering" },
	{ "拆除垃圾", "cw.demolition" },
	{ "装修垃圾", "cw.renovation" },
	{ "危险废物", "hw" },
	{ "危废", "hw" },
	{ "医疗废物", "mw" },
	{ "医废", "mw" },
	{ "污泥", "sludge" },
	{ "一般工业固废", "ind.general" },
	{ "农膜", "agri.film" },
	{ "废旧农膜", "agri.film" },
	{ "农药包装废弃物", "agri.pesticide_pack" },
	{ "畜禽粪污", "agri.manure" },
	{ "秸秆", "agri.straw" },
	{ "FOOD_WASTE", "msw.food" },
	{ "food_waste", "msw.food" },
	{ "RECYCLABLE", "msw.recyclable" },
	{ "RESIDUAL", "msw.residual" },
	{ "HAZARDOUS_HOUSEHOLD", "msw.hazardous" },
	{ "BULKY", "msw.bulky" },
	{ "GARDEN", "msw.garden" },
	{ "CONSTRUCTION_SOIL", "cw.excavated_soil" },
	{ "DEMOLITION", "cw.demolition" },
	{ "HAZARDOUS", "hw" },
	{ "MEDICAL", "mw" },
	/* unknown */
	{ "", NULL },
	{ "food", NULL },
	{ "FOOD WASTE", NULL },
	{ " 厨余垃圾", NULL },
	{ "厨余", NULL },
	{ "msw", NULL },
	{ "msw.food ", NULL },
	{ "residue.fly_ash", NULL },
	{ "垃圾", NULL },
};

static const char *const canon[] = {
	"msw.recyclable",
	"msw.hazardous",
	"msw.food",
	"msw.residual",
	"msw.mixed",
	"msw.bulky",
	"msw.garden",
	"cw.excavated_soil",
	"cw.slurry",
	"cw.engineering",
	"cw.demolition",
	"cw.renovation",
	"hw",
	"mw",
	"ind.general",
	"sludge",
	"agri.film",
	"agri.pesticide_pack",
	"agri.manure",
	"agri.straw",
	"unknown",
};

static void
test_waste(void)
{
	const char *got;
	size_t i;

	for (i = 0; i < NELEM(waste_cases); i++) {
		got = norm_waste(waste_cases[i].in);
		CHECK_STR(got, waste_cases[i].code);
		/* every answer is itself canonical */
		if (got != NULL)
			CHECK(norm_waste_is_canonical(got));
	}
	CHECK(norm_waste(NULL) == NULL);

	for (i = 0; i < NELEM(canon); i++) {
		CHECK(norm_waste_is_canonical(canon[i]));
		CHECK_STR(norm_waste(canon[i]), canon[i]);
	}
	CHECK(!norm_waste_is_canonical("MSW.FOOD"));
	CHECK(!norm_waste_is_canonical("厨余垃圾"));
	CHECK(!norm_waste_is_canonical("FOOD_WASTE"));
	CHECK(!norm_waste_is_canonical(""));
	CHECK(!norm_waste_is_canonical("msw"));
	CHECK(!norm_waste_is_canonical(NULL));
}

struct hw_case {
	const char *in;
	int rc;
	const char *code, *cat;
};

static const struct hw_case hw_cases[] = {
	{ "90024908", 0, "900-249-08", "HW08" },
	{ "900-249-08", 0, "900-249-08", "HW08" },
	{ "900 249 08", 0, "900-249-08", "HW08" },
	{ "HW08/900-249-08", 0, "900-249-08", "HW08" },
	{ "hw08/900-249-08", 0, "900-249-08", "HW08" },
	{ "HW08 900-249-08", 0, "900-249-08", "HW08" },
	{ "HW08 / 90024908", 0, "900-249-08", "HW08" },
	{ "９００-２４９-０８", 0, "900-249-08", "HW08" },
	{ "９００－２４９－０８", 0, "900-249-08", "HW08" },
	{ "ＨＷ０８／９００２４９０８", 0, "900-249-08", "HW08" },
	{ "900—249—08", 0, "900-249-08", "HW08" },
	{ "841-001-01", 0, "841-001-01", "HW01" },
	{ "772-002-18", 0, "772-002-18", "HW18" },
	{ "900-000-50", 0, "900-000-50", "HW50" },
	{ "HW09/900-249-08", -1, NULL, NULL },
	{ "HW8/900-249-08", -1, NULL, NULL },
	{ "HW08900-249-08", -1, NULL, NULL },
	{ "HW08", -1, NULL, NULL },
	{ "9002490", -1, NULL, NULL },
	{ "900249080", -1, NULL, NULL },
	{ "900-249-00", -1, NULL, NULL },
	{ "900-249-51", -1, NULL, NULL },
	{ "900-249-99", -1, NULL, NULL },
	{ "900-249-0A", -1, NULL, NULL },
	{ "900/249/08", -1, NULL, NULL },
	{ "900-249-08x", -1, NULL, NULL },
	{ "废矿物油", -1, NULL, NULL },
	{ "", -1, NULL, NULL },
	{ "\xff"
	  "90024908",
	    -1, NULL, NULL },
};

static void
test_hw(void)
{
	const struct hw_case *c;
	char code[16], cat[8];
	size_t i;

	for (i = 0; i < NELEM(hw_cases); i++) {
		c = &hw_cases[i];
		strcpy(code, "untouched");
		strcpy(cat, "none");
		CHECK_INT(norm_hw_code(c->in, code, cat), c->rc);
		CHECK_STR(code, c->rc == 0 ? c->code : "untouched");
		CHECK_STR(cat, c->rc == 0 ? c->cat : "none");
	}
	CHECK_INT(norm_hw_code(NULL, code, cat), -1);
}

struct coord_case {
	double lat, lon;
	int valid;
};

static const struct coord_case coord_cases[] = {
	{ 43.883412, 125.314567, 1 },
	{ -33.9, 18.4, 1 },
	{ 90, 180, 1 },
	{ -90, -180, 1 },
	{ 0, 10, 1 },
	{ 10, 0, 1 },
	{ 0, 0, 0 },
	{ -0.0, 0, 0 },
	{ 91, 10, 0 },
	{ -90.0001, 10, 0 },
	{ 10, 180.5, 0 },
	{ 125.3, 43.8, 0 },
	{ NAN, 10, 0 },
	{ 10, NAN, 0 },
	{ INFINITY, 10, 0 },
	{ 10, -INFINITY, 0 },
};

static void
test_coord(void)
{
	const struct coord_case *c;
	double lat, lon;
	uint32_t dq;
	size_t i;

	for (i = 0; i < NELEM(coord_cases); i++) {
		c = &coord_cases[i];
		lat = c->lat;
		lon = c->lon;
		dq = DQ_LATE;
		CHECK_INT(norm_coord(&lat, &lon, &dq), 0);
		if (c->valid) {
			CHECK_INT(dq, DQ_LATE);
			CHECK(lat == c->lat && lon == c->lon);
		} else {
			CHECK_INT(dq, DQ_LATE | DQ_COORD_INVALID);
			CHECK(isnan(lat) && isnan(lon));
		}
	}
}

static void
test_status(void)
{
	CHECK_INT(norm_manifest_status_rank("created"), 1);
	CHECK_INT(norm_manifest_status_rank("in_transit"), 2);
	CHECK_INT(norm_manifest_status_rank("arrived"), 3);
	CHECK_INT(norm_manifest_status_rank("received"), 4);
	CHECK_INT(norm_manifest_status_rank("closed"), 5);
	CHECK_INT(norm_manifest_status_rank("rejected"), 5);
	CHECK_INT(norm_manifest_status_rank("cancelled"), 5);
	CHECK_INT(norm_manifest_status_rank("IN_TRANSIT"), -1);
	CHECK_INT(norm_manifest_status_rank("canceled"), -1);
	CHECK_INT(norm_manifest_status_rank("已完成"), -1);
	CHECK_INT(norm_manifest_status_rank(""), -1);
	CHECK_INT(norm_manifest_status_rank(NULL), -1);
}

struct utf8_case {
	const char *s;
	size_t n;
	int valid;
};

#define U(lit)                                                                 \
	{                                                                      \
		lit, sizeof(lit) - 1
static const struct utf8_case utf8_cases[] = { U(""), 1 }, U("plain ascii"), 1
}
, U("吉A5G217"), 1
}
,
    U("\x00"
      "a"),
    1
}
, /* NUL is well-formed */
    U("\xc2\x80"), 1
}
, U("\xdf\xbf"), 1
}
, U("\xe0\xa0\x80"), 1
}
, U("\xed\x9f\xbf"), 1
}
, U("\xee\x80\x80"), 1
}
, U("\xef\xbf\xbf"), 1
}
, U("\xf0\x90\x80\x80"), 1
}
, U("\xf4\x8f\xbf\xbf"), 1
}
, U("\xf0\x9f\x9a\x9b"), 1
}
, U("\xc0\x80"), 0
}
, U("\xc1\xbf"), 0
}
, /* overlong 2 */
    U("\xe0\x80\xaf"), 0
}
, U("\xe0\x9f\xbf"), 0
}
, /* overlong 3 */
    U("\xf0\x80\x80\xaf"), 0
}
, U("\xf0\x8f\xbf\xbf"), 0
}
, U("\xed\xa0\x80"), 0
}
, U("\xed\xbf\xbf"), 0
}
, /* surrogates */
    U("\xf4\x90\x80\x80"), 0
}
, U("\xf5\x80\x80\x80"), 0
}
, U("\xf8\x88\x80\x80\x80"), 0
}
, U("\xff"), 0
}
, U("\xfe"), 0
}
, U("\xe5\x90"), 0
}
, U("\xe5"), 0
}
, U("a\xf0\x9f\x9a"), 0
}
, U("\x80"), 0
}
, U("\xbf"), 0
}
, U("\xe5\x90\x41"), 0
}
, U("\xc2\xc2\x80"), 0
}
, U("\xbc\xaa"), 0
}
, /* GBK 吉 */
}
;
#undef U

static void
test_utf8(void)
{
	size_t i;

	for (i = 0; i < NELEM(utf8_cases); i++) {
		CHECK_INT(norm_utf8_valid(utf8_cases[i].s, utf8_cases[i].n),
		    utf8_cases[i].valid);
		if (norm_utf8_valid(utf8_cases[i].s, utf8_cases[i].n) !=
		    utf8_cases[i].valid)
			fprintf(stderr, "  utf8 case %zu\n", i);
	}
	/* n bounds the scan: a cut in the middle of 吉 is invalid */
	CHECK_INT(norm_utf8_valid("吉", 2), 0);
	CHECK_INT(norm_utf8_valid("吉", 3), 1);
	CHECK_INT(norm_utf8_valid(NULL, 0), 1);
}

/* The one plausibility rule, and every mass of every kind through it. */
static void
test_plausible(void)
{
	struct ev_manifest_line lines[2] = { { .qty_kg = 600 },
		{ .qty_kg = 400 } };
	struct ev e;

	CHECK_INT(norm_mass_plausible(NAN, NORM_LOAD_MAX_KG), 1);
	CHECK_INT(norm_mass_plausible(0, NORM_LOAD_MAX_KG), 1);
	CHECK_INT(norm_mass_plausible(2e5, NORM_LOAD_MAX_KG), 1);
	CHECK_INT(norm_mass_plausible(200000.5, NORM_LOAD_MAX_KG), 0);
	CHECK_INT(norm_mass_plausible(1e308, NORM_LOAD_MAX_KG), 0);
	CHECK_INT(norm_mass_plausible(INFINITY, NORM_STOCK_MAX_KG), 0);
	CHECK_INT(norm_mass_plausible(-1, NORM_LOAD_MAX_KG), 0);
	CHECK_INT(norm_mass_plausible(5e9, NORM_STOCK_MAX_KG), 1);
	CHECK_INT(norm_mass_plausible(5e9, NORM_LOAD_MAX_KG), 0);

	/* weighing: net alone (gross and tare unknown) */
	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_WEIGHING);
	e.u.wb.net_kg = 1e308;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);
	e.dq = 0;
	e.u.wb.net_kg = 4750;
	norm_check_masses(&e);
	CHECK_INT(e.dq, 0);
	/* a negative net is NET_NEGATIVE's, not this rule's */
	e.u.wb.net_kg = -10;
	norm_check_masses(&e);
	CHECK_INT(e.dq, 0);
	e.u.wb.tare_kg = 3e5;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_VEHICLE_EVENT);
	norm_check_masses(&e);
	CHECK_INT(e.dq, 0);
	e.u.vev.mass_kg = 1e12;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);

	/* a facility's stock may be far above one load */
	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_FACILITY_STATUS);
	e.u.fst.inventory_kg = 3e8;
	norm_check_masses(&e);
	CHECK_INT(e.dq, 0);
	e.u.fst.throughput_kg = 1e308;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);

	memset(&e, 0, sizeof(e));
	ev_init(&e, EV_MANIFEST);
	e.u.man.lines = lines;
	e.u.man.nlines = 2;
	norm_check_masses(&e);
	CHECK_INT(e.dq, 0);
	lines[1].qty_kg = 1e308;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);
	e.dq = 0;
	lines[1].qty_kg = 400;
	e.u.man.declared_kg = 1e308;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);
	e.dq = 0;
	e.u.man.declared_kg = NAN;
	e.u.man.received_kg = 250000;
	norm_check_masses(&e);
	CHECK_INT(e.dq, DQ_IMPLAUSIBLE_WEIGHT);
	e.u.man.lines = NULL;
	e.u.man.nlines = 0;
	ev_reset(&e);
}

int
main(void)
{
	test_time();
	test_epoch();
	test_local_day();
	test_offset();
	test_plate();
	test_mass();
	test_plausible();
	test_waste();
	test_hw();
	test_coord();
	test_status();
	test_utf8();
	return check_result("test_norm");
}
