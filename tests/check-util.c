/* check-util.c - time formatting and parsing, ids, percent-decoding, query options, config.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/config.h"
#include "uprintd/metrics.h"
#include "uprintd/query.h"
#include "uprintd/util.h"

#include "test-util.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

START_TEST(test_time_format)
{
  char buf[UP_TIME_STRLEN], sec[20];
  up_time_t t = 1592260023LL * UP_TIME_TICKS_PER_SECOND + 318490;
  up_time_format(t, buf);
  ck_assert_str_eq(buf, "2020-06-15T22:27:03.0318490Z");
  up_time_format_seconds(t, sec);
  ck_assert_str_eq(sec, "2020-06-15T22:27:03");
  up_time_format(0, buf);
  ck_assert_str_eq(buf, "1970-01-01T00:00:00.0000000Z");
}
END_TEST

static const struct {
  const char *text;
  bool ok;
  up_time_t ticks;
} times[] = {
    {"2020-06-15T22:27:03.0318490Z", true, 1592260023LL * 10000000 + 318490},
    {"2020-06-15T22:27:03Z", true, 1592260023LL * 10000000},
    {"2020-06-15T22:27:03.5Z", true, 1592260023LL * 10000000 + 5000000},
    {"2020-06-15T22:27:03.123456789Z", true, 1592260023LL * 10000000 + 1234567},
    {"2020-06-16T00:27:03+02:00", true, 1592260023LL * 10000000},
    {"2020-06-15T20:27:03-02:00", true, 1592260023LL * 10000000},
    {"2020-06-15T22:27:03", false, 0},
    {"2020-13-15T22:27:03Z", false, 0},
    {"2020-06-15 22:27:03Z", false, 0},
    {"2020-06-15T22:27:03.Z", false, 0},
    {"2020-06-15T22:27:03Zjunk", false, 0},
    {"", false, 0},
};

START_TEST(test_time_parse)
{
  up_time_t t = 0;
  bool ok = up_time_parse(times[_i].text, &t);
  ck_assert_msg(ok == times[_i].ok, "%s", times[_i].text);
  if (ok)
    ck_assert_int_eq(t, times[_i].ticks);
}
END_TEST

START_TEST(test_uuid)
{
  char a[UP_ID_SIZE], b[UP_ID_SIZE], c[UP_ID_SIZE];
  up_uuid_new(a);
  up_uuid_new(b);
  ck_assert(up_uuid_is_valid(a));
  ck_assert_str_ne(a, b);
  ck_assert(up_uuid_from_name("4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f", "user@contoso.com", a));
  ck_assert(up_uuid_from_name("4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f", "user@contoso.com", b));
  ck_assert(up_uuid_from_name("4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e70", "user@contoso.com", c));
  ck_assert_str_eq(a, b);
  ck_assert_str_ne(a, c);
  ck_assert_int_eq(a[14], '5'); /* version 5 */
  ck_assert(!up_uuid_from_name("not-a-guid", "x", c));
  ck_assert(!up_uuid_is_valid("4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7"));
  ck_assert(!up_uuid_is_valid("4d7f1c3e_8a2b-4f6d-9c1e-2b3a4c5d6e7f"));
  ck_assert(!up_uuid_is_valid("4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7g"));
}
END_TEST

START_TEST(test_percent_decode)
{
  char *s = up_percent_decode("a%2Fb%20c+d", 11, false);
  ck_assert_str_eq(s, "a/b c+d");
  free(s);
  s = up_percent_decode("a+b%2b", 6, true);
  ck_assert_str_eq(s, "a b+");
  free(s);
  ck_assert_ptr_null(up_percent_decode("%zz", 3, false));
  ck_assert_ptr_null(up_percent_decode("%2", 2, false));
  ck_assert_ptr_null(up_percent_decode("%", 1, false));
  ck_assert_ptr_null(up_percent_decode("a%00b", 5, false));
}
END_TEST

START_TEST(test_utf8_length)
{
  ck_assert_uint_eq(up_utf8_length("abc"), 3);
  ck_assert_uint_eq(up_utf8_length("\xc3\xa9t\xc3\xa9"), 3);
  ck_assert_uint_eq(up_utf8_length("\xf0\x9f\x96\xa8"), 1);
  ck_assert_uint_eq(up_utf8_length(""), 0);
}
END_TEST

static const struct {
  const char *in;
  const char *out;
} utf8[] = {
    {"plain", "plain"},
    {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"}, /* well-formed: unchanged */
    {"\xf0\x9f\x96\xa8!", "\xf0\x9f\x96\xa8!"}, /* 4 bytes */
    {"a\xff"
     "b",
     "a?b"},             /* never valid */
    {"\x80x", "?x"},     /* stray continuation */
    {"cut\xc3", "cut?"}, /* truncated at the end */
    {"\xe2\x82"
     "x",
     "??x"},                      /* truncated in the middle */
    {"\xc0\xaf", "??"},           /* overlong */
    {"\xe0\x80\xaf", "???"},      /* overlong, 3 bytes */
    {"\xed\xa0\x80", "???"},      /* surrogate */
    {"\xf4\x90\x80\x80", "????"}, /* beyond U+10FFFF */
};

START_TEST(test_utf8_sanitize)
{
  char buf[64];
  strcpy(buf, utf8[_i].in);
  up_utf8_sanitize(buf);
  ck_assert_str_eq(buf, utf8[_i].out);
}
END_TEST

START_TEST(test_query)
{
  up_query_t q;
  up_error_t err;
  ck_assert_int_eq(
      up_query_parse("$select=id,displayName,%20capabilities&foo=bar&$top=5&count=true", &q, &err),
      UP_OK);
  ck_assert(q.has_select);
  ck_assert_uint_eq(q.n_select, 3);
  ck_assert_str_eq(q.select[2], "capabilities");
  ck_assert(up_query_selects(&q, "displayName"));
  ck_assert(!up_query_selects(&q, "model"));
  ck_assert_int_eq(q.top, 5);
  ck_assert_int_eq(q.count, 1);
  up_query_fini(&q);
  ck_assert_int_eq(
      up_query_parse("select=id&$filter=createdBy%2FuserPrincipalName%20eq%20'a'", &q, &err),
      UP_OK);
  ck_assert_str_eq(q.filter, "createdBy/userPrincipalName eq 'a'");
  up_query_fini(&q);
  ck_assert_int_eq(up_query_parse(NULL, &q, &err), UP_OK);
  ck_assert(!q.has_select);
  ck_assert_int_eq(q.top, -1);
  up_query_fini(&q);
  static const char *const bad[] = {
      "$select=a&$select=b", "$select=a,,b", "$top=-1",     "$top=x",
      "$count=maybe",        "$bogus=1",     "$select=%zz", "$format=xml"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ck_assert_msg(up_query_parse(bad[i], &q, &err) == UP_INVALID, "%s", bad[i]);
    up_query_fini(&q);
  }
}
END_TEST

START_TEST(test_config)
{
  up_config_t c;
  char msg[256];
  char *ok[] = {
      "--listen",      "[::1]:0",     "--data=/tmp/x", "--threads",  "4",
      "--demo",        "--log-level", "debug",         "--base-url", "https://print.example.test/",
      "--max-json-kb", "4",           "--max-url-kb",  "1"};
  up_config_defaults(&c);
  ck_assert_str_eq(c.listen_host, "127.0.0.1");
  ck_assert_uint_eq(c.listen_port, 8080);
  ck_assert_str_eq(c.data_dir, "./data");
  ck_assert(up_config_parse_serve(&c, 14, ok, msg, sizeof(msg)));
  ck_assert_str_eq(c.listen_host, "::1");
  ck_assert_uint_eq(c.listen_port, 0);
  ck_assert_str_eq(c.data_dir, "/tmp/x");
  ck_assert_uint_eq(c.threads, 4);
  ck_assert(c.demo);
  ck_assert_str_eq(c.base_url, "https://print.example.test");
  ck_assert_uint_eq(c.max_json_kb, 4);
  ck_assert_uint_eq(c.max_url_kb, 1);
  static char *bad[][2] = {
      {"--threads", "0"},      {"--threads", "x"},      {"--listen", "nohost"},
      {"--listen", "h:99999"}, {"--log-level", "loud"}, {"--base-url", "ftp://x"},
      {"--bogus", "1"},        {"--max-json-kb", "-1"}, {"positional", "x"}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    up_config_defaults(&c);
    ck_assert_msg(!up_config_parse_serve(&c, 2, bad[i], msg, sizeof(msg)), "%s %s", bad[i][0],
                  bad[i][1]);
    ck_assert(msg[0]);
  }
  char *missing[] = {"--data"};
  ck_assert(!up_config_parse_serve(&c, 1, missing, msg, sizeof(msg)));
  char *flagval[] = {"--demo=yes"};
  ck_assert(!up_config_parse_serve(&c, 1, flagval, msg, sizeof(msg)));
}
END_TEST

/* Token options: --trust-jwks, --issuer, --audience, --clock-skew. */
START_TEST(test_config_tokens)
{
  up_config_t c;
  char msg[256];
  char *ok[] = {"--trust-jwks",
                "/etc/uprintd/jwks.json",
                "--issuer=https://login.example/t/v2.0",
                "--audience",
                "api://uprintd",
                "--clock-skew",
                "0"};
  up_config_defaults(&c);
  ck_assert_str_eq(c.trust_jwks, "");
  ck_assert_str_eq(c.issuer, "");
  ck_assert_str_eq(c.audience, "");
  ck_assert_uint_eq(c.clock_skew, 30);
  ck_assert_msg(up_config_parse_serve(&c, 7, ok, msg, sizeof(msg)), "%s", msg);
  ck_assert_str_eq(c.trust_jwks, "/etc/uprintd/jwks.json");
  ck_assert_str_eq(c.issuer, "https://login.example/t/v2.0");
  ck_assert_str_eq(c.audience, "api://uprintd");
  ck_assert_uint_eq(c.clock_skew, 0);
  char *skew[] = {"--clock-skew", "3600"};
  up_config_defaults(&c);
  ck_assert(up_config_parse_serve(&c, 2, skew, msg, sizeof(msg)));
  ck_assert_uint_eq(c.clock_skew, 3600);

  static char *bad[][2] = {{"--clock-skew", "3601"}, {"--clock-skew", "-1"},
                           {"--clock-skew", "30s"},  {"--trust-jwks", ""},
                           {"--issuer", ""},         {"--audience", ""}};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    up_config_defaults(&c);
    ck_assert_msg(!up_config_parse_serve(&c, 2, bad[i], msg, sizeof(msg)), "%s %s", bad[i][0],
                  bad[i][1]);
    ck_assert_msg(strstr(msg, bad[i][0]) != NULL, "%s", msg);
  }
  /* Issuer and audience only mean something with --trust-jwks. */
  static char *alone[][2] = {{"--issuer", "https://login.example/t/v2.0"},
                             {"--audience", "api://uprintd"}};
  for (size_t i = 0; i < 2; i++) {
    up_config_defaults(&c);
    ck_assert(!up_config_parse_serve(&c, 2, alone[i], msg, sizeof(msg)));
    ck_assert_msg(strstr(msg, alone[i][0]) && strstr(msg, "--trust-jwks"), "%s", msg);
  }
}
END_TEST

START_TEST(test_config_durability)
{
  up_config_t c;
  char msg[256];
  char *full[] = {"--durability", "full"};
  char *full_threads[] = {"--threads", "3", "--durability=full"};
  char *each[] = {"--durability", "full-each"};
  char *bad[] = {"--durability", "always"};
  up_config_defaults(&c);
  ck_assert_int_eq(c.durability, UP_DURABILITY_NORMAL);
  ck_assert_uint_eq(c.threads, 2);
  ck_assert(up_config_parse_serve(&c, 2, full, msg, sizeof(msg)));
  ck_assert_int_eq(c.durability, UP_DURABILITY_FULL);
  ck_assert_uint_eq(c.threads, 8); /* group commit wants requests to wait together */
  up_config_defaults(&c);
  ck_assert(up_config_parse_serve(&c, 3, full_threads, msg, sizeof(msg)));
  ck_assert_uint_eq(c.threads, 3); /* unless told otherwise */
  up_config_defaults(&c);
  ck_assert(up_config_parse_serve(&c, 2, each, msg, sizeof(msg)));
  ck_assert_int_eq(c.durability, UP_DURABILITY_FULL_EACH);
  ck_assert_uint_eq(c.threads, 2);
  up_config_defaults(&c);
  ck_assert(!up_config_parse_serve(&c, 2, bad, msg, sizeof(msg)));
  ck_assert_ptr_nonnull(strstr(msg, "normal, full or full-each"));
}
END_TEST

START_TEST(test_mkdir_p)
{
  char dir[4096], path[4200];
  struct stat st;
  snprintf(dir, sizeof(dir), "%s", up_test_tmpdir());
  /* Every missing level, with and without a trailing slash; existing folders are fine. */
  snprintf(path, sizeof(path), "%s/a/b/c", dir);
  ck_assert(up_mkdir_p(path, 0700));
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(st.st_mode & 0777, 0700);
  ck_assert(up_mkdir_p(path, 0700));
  snprintf(path, sizeof(path), "%s/a/x//y/", dir);
  ck_assert(up_mkdir_p(path, 0700));
  snprintf(path, sizeof(path), "%s/a/x/y", dir);
  ck_assert_int_eq(stat(path, &st), 0);
  /* A file in the way is ENOTDIR, as a level or as the folder itself. */
  snprintf(path, sizeof(path), "%s/file", dir);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  ck_assert(!up_mkdir_p(path, 0700));
  ck_assert_int_eq(errno, ENOTDIR);
  snprintf(path, sizeof(path), "%s/file/sub/dir", dir);
  ck_assert(!up_mkdir_p(path, 0700));
  ck_assert_int_eq(errno, ENOTDIR);
  up_test_rmtree(dir);
}
END_TEST

/* RFC 4648's vectors, unpadded, and the two characters that differ from base64. */
START_TEST(test_base64url)
{
  static const struct {
    const char *in, *out;
  } v[] = {{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
           {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  char out[16];
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    ck_assert(
        up_base64url_encode((const unsigned char *)v[i].in, strlen(v[i].in), out, sizeof(out)));
    ck_assert_str_eq(out, v[i].out);
  }
  /* "Zm9v" and its NUL need 5 bytes. */
  ck_assert(up_base64url_encode((const unsigned char *)"foo", 3, out, 5));
  ck_assert(!up_base64url_encode((const unsigned char *)"foo", 3, out, 4));
  ck_assert(!up_base64url_encode((const unsigned char *)"", 0, out, 0));
}
END_TEST

static const char *two_routes(size_t i, void *ctx)
{
  (void)ctx;
  return i == 0 ? "GET /a" : "GET /b\"\\";
}

/* Buckets are upper bounds (a duration on a bound falls in it), cumulative in the text, ended
 * by +Inf; statuses not named one by one count by class; label values are escaped. */
START_TEST(test_metrics)
{
  up_metrics_t *m = up_metrics_new(2);
  char *text = NULL;
  size_t len = 0;
  ck_assert_ptr_nonnull(m);
  up_metrics_request(m, 0, 200, 0.001, 10, 20); /* on the 1 ms bound */
  up_metrics_request(m, 0, 200, 0.0011, 0, 5);  /* 2.5 ms bucket */
  up_metrics_request(m, 0, 418, 100.0, 0, 0);   /* +Inf, "4xx" */
  up_metrics_request(m, 1, 201, 0.0, 0, 0);     /* first bucket */
  up_metrics_request(m, -1, 400, 0.0001, 0, 0); /* no route */
  up_metrics_request(m, 7, 400, 0.0001, 0, 0);  /* out of range: no route */
  up_metrics_upload_bytes(m, 123);
  FILE *f = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(f);
  up_metrics_write(m, f, two_routes, NULL);
  fclose(f);
  ck_assert_ptr_nonnull(
      strstr(text, "uprintd_http_requests_total{route=\"GET /a\",status=\"200\"} 2\n"));
  ck_assert_ptr_nonnull(
      strstr(text, "uprintd_http_requests_total{route=\"GET /a\",status=\"4xx\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(text, "{route=\"GET /b\\\"\\\\\",status=\"201\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(text, "{route=\"(no route)\",status=\"400\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(text, "_bucket{route=\"GET /a\",le=\"0.0005\"} 0\n"));
  ck_assert_ptr_nonnull(strstr(text, "_bucket{route=\"GET /a\",le=\"0.001\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(text, "_bucket{route=\"GET /a\",le=\"0.0025\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(text, "_bucket{route=\"GET /a\",le=\"10\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(text, "_bucket{route=\"GET /a\",le=\"+Inf\"} 3\n"));
  ck_assert_ptr_nonnull(strstr(text, "_count{route=\"GET /a\"} 3\n"));
  ck_assert_ptr_nonnull(strstr(text, "_sum{route=\"GET /a\"} 100.002100\n"));
  ck_assert_ptr_nonnull(
      strstr(text, "uprintd_http_body_bytes_received_total{route=\"GET /a\"} 10\n"));
  ck_assert_ptr_nonnull(strstr(text, "uprintd_http_body_bytes_sent_total{route=\"GET /a\"} 25\n"));
  ck_assert_ptr_nonnull(strstr(text, "uprintd_upload_bytes_total 123\n"));
  free(text);
  up_metrics_free(m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("util");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_time_format);
  tcase_add_loop_test(tc, test_time_parse, 0, sizeof(times) / sizeof(times[0]));
  tcase_add_test(tc, test_uuid);
  tcase_add_test(tc, test_percent_decode);
  tcase_add_test(tc, test_utf8_length);
  tcase_add_loop_test(tc, test_utf8_sanitize, 0, sizeof(utf8) / sizeof(utf8[0]));
  tcase_add_test(tc, test_query);
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_config_tokens);
  tcase_add_test(tc, test_mkdir_p);
  tcase_add_test(tc, test_config_durability);
  tcase_add_test(tc, test_metrics);
  tcase_add_test(tc, test_base64url);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
