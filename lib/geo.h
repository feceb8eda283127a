/*
 * geo: conversion of the offset coordinate systems that Chinese vendor
 * platforms publish (GCJ-02 from AMap/Tencent, BD-09 from Baidu) back to
 * WGS-84, the canonical system every position is stored in.
 * Pure arithmetic: no I/O, no allocation, no global state; safe on any
 * thread. Latitude and longitude are decimal degrees throughout.
 *
 * The offsets only apply inside the rough bounding box of China; outside
 * it every conversion is the identity, which is also what the vendors do.
 */
#ifndef WT_GEO_H
#define WT_GEO_H

#include "attr.h"

enum geo_sys { GEO_WGS84, GEO_GCJ02, GEO_BD09 };

/*
 * 1 if (lat, lon) lies outside the box 73.66..135.05 E, 3.86..53.55 N,
 * where no offset is applied; also 1 for NaN, so garbage is never
 * "converted" into different garbage. 0 inside.
 */
int geo_out_of_china(double lat, double lon);

/*
 * The GCJ-02 forward transform of a WGS-84 point (Krasovsky ellipsoid).
 * Outside China *glat, *glon are the input unchanged.
 */
void geo_wgs84_to_gcj02(double lat, double lon, double *glat, double *glon);

/*
 * Inverse of geo_wgs84_to_gcj02 by fixed-point iteration: the transform
 * has no closed-form inverse. Converges to below 1e-9 degrees (about
 * 0.1 mm) in a handful of steps; stops after 30 regardless.
 */
void geo_gcj02_to_wgs84(double glat, double glon, double *lat, double *lon);

/*
 * BD-09 to GCJ-02 with the closed-form z/theta inverse used by every
 * implementation. It is itself approximate: the residual against Baidu's
 * forward transform is below 0.25 m across China, far under GNSS noise.
 */
void geo_bd09_to_gcj02(double blat, double blon, double *glat, double *glon);

/* BD-09 to WGS-84: geo_bd09_to_gcj02, then geo_gcj02_to_wgs84. */
void geo_bd09_to_wgs84(double blat, double blon, double *lat, double *lon);

/*
 * Coordinate system name to enum: wgs84, wgs-84, gcj02, gcj-02, bd09,
 * bd-09 in any ASCII case. Returns 0, or -1 (and *out untouched) for
 * anything else including NULL.
 */
int geo_parse_sys(const char *s, enum geo_sys *out) WT_MUST_CHECK;

/*
 * Convert (*lat, *lon) in system sys to WGS-84 in place. Returns 1 when
 * the point was changed (the caller sets DQ_COORD_CONVERTED), 0 when it
 * was left alone: sys is GEO_WGS84, the point is outside China or not a
 * number, or a pointer is NULL.
 */
int geo_to_wgs84(enum geo_sys sys, double *lat, double *lon);

#endif
