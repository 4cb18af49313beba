/* check-auth.c - unit tests for the signing key, token issuing and token verification.
 * SPDX-License-Identifier: Apache-2.0 */
#include "test-util.h"
#include "uprintd/auth.h"
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <check.h>
#include <stdarg.h>
#include <dirent.h>
#include <fcntl.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0          ((int64_t)1700000000) /* a fixed "now" */
#define TENANT_B    "0b5e7c2a-1d3f-4e6a-8b9c-0d1e2f3a4b5c"
#define APP_ID      "2f9a6b1c-3d4e-4f5a-8b7c-9d0e1f2a3b4c"
#define GROUP_1     "aaaaaaaa-1111-4222-8333-444444444444"
#define GROUP_2     "bbbbbbbb-1111-4222-8333-444444444444"
#define OTHER_ROLE  "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
#define USER_OID    "c0ffee00-1234-4abc-9def-0123456789ab"
#define MSG_EMPTY   "Access token is empty."
#define MSG_SCHEME  "Access token validation failure. The authorization scheme must be Bearer."
#define MSG_FORMAT  "Invalid JWT token. The token is not in JWS compact format."
#define MSG_SIG     "Access token validation failure. Invalid signature."
#define MSG_EXPIRED "Lifetime validation failed, the token is expired."
#define MSG_NOT_YET "Lifetime validation failed, the token is not yet valid."

/* Per-test data folder and keyring (checked fixture). */
static char data_dir[4096];
static up_keyring_t *keyring;
static unsigned char key_bytes[32];

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;
  va_start(ap, fmt);
  ck_assert_int_ge(vasprintf(&s, fmt, ap), 0);
  va_end(ap);
  return s;
}

static char *key_path(const char *dir)
{
  return xasprintf("%s/%s", dir, UP_KEY_FILE);
}

/* Reads DIR/signing.key; returns its size (at most n bytes read). */
static ssize_t read_key_file(const char *dir, unsigned char *buf, size_t n)
{
  char *path = key_path(dir);
  int fd = open(path, O_RDONLY);
  ssize_t got;
  free(path);
  ck_assert_int_ge(fd, 0);
  got = read(fd, buf, n);
  close(fd);
  return got;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
  ck_assert_int_eq(fchmod(fd, mode), 0);
  close(fd);
}

static char *b64url(const void *data, size_t n)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const unsigned char *p = data;
  char *out = malloc(n / 3 * 4 + 5), *o = out;
  size_t i;
  ck_assert_ptr_nonnull(out);
  for (i = 0; i + 2 < n; i += 3) {
    *o++ = alphabet[p[i] >> 2];
    *o++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
    *o++ = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
    *o++ = alphabet[p[i + 2] & 63];
  }
  if (n - i == 1) {
    *o++ = alphabet[p[i] >> 2];
    *o++ = alphabet[(p[i] & 3) << 4];
  } else if (n - i == 2) {
    *o++ = alphabet[p[i] >> 2];
    *o++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
    *o++ = alphabet[(p[i + 1] & 15) << 2];
  }
  *o = '\0';
  return out;
}

static char *b64url_str(const char *s)
{
  return b64url(s, strlen(s));
}

/* Decodes segment `index` (0 header, 1 payload) of a token into a new string. */
static char *segment_json(const char *token, int index)
{
  const char *start = token, *end;
  char *seg, *out;
  size_t len, o = 0;
  unsigned acc = 0;
  int bits = 0;
  for (int i = 0; i < index; i++)
    start = strchr(start, '.') + 1;
  end = strchr(start, '.');
  len = (size_t)(end - start);
  seg = strndup(start, len);
  out = calloc(1, len + 1);
  ck_assert_ptr_nonnull(out);
  for (size_t i = 0; i < len; i++) {
    const char *pos =
        strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", seg[i]);
    acc = (acc << 6) | (unsigned)(pos - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_");
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  free(seg);
  return out;
}

/* Signs claims (JSON text) with the fixture key and alg via libjwt. */
static char *sign_with(jwt_alg_t alg, const char *claims)
{
  jwt_t *jwt = NULL;
  char *token;
  ck_assert_int_eq(jwt_new(&jwt), 0);
  ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
  ck_assert_int_eq(jwt_set_alg(jwt, alg, key_bytes, sizeof(key_bytes)), 0);
  token = jwt_encode_str(jwt);
  ck_assert_ptr_nonnull(token);
  jwt_free(jwt);
  return token;
}

/* Claims of a valid delegated token at T0, with `extra` spliced in (may be ""), and the named
 * claims left out (comma-separated list, may be ""). */
static char *claims_json(const char *omit, const char *extra)
{
  static const struct {
    const char *name, *json;
  } base[] = {
      {"aud", "\"aud\":\"https://graph.microsoft.com\""},
      {"tid", "\"tid\":\"" UP_DEFAULT_TENANT "\""},
      {"oid", "\"oid\":\"" USER_OID "\""},
      {"appid", "\"appid\":\"" APP_ID "\""},
      {"exp", "\"exp\":1700003600"},
      {"nbf", "\"nbf\":1700000000"},
      {"iat", "\"iat\":1700000000"},
      {"upn", "\"upn\":\"carol@contoso.com\""},
      {"idtyp", "\"idtyp\":\"user\""},
      {"scp", "\"scp\":\"PrintJob.Read\""},
  };
  char buf[2048] = "{";
  bool first = true;
  for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
    char tag[32];
    snprintf(tag, sizeof(tag), ",%s,", base[i].name);
    char *list = xasprintf(",%s,", omit);
    bool skip = strstr(list, tag) != NULL;
    free(list);
    if (skip)
      continue;
    if (!first)
      strcat(buf, ",");
    strcat(buf, base[i].json);
    first = false;
  }
  if (*extra) {
    if (!first)
      strcat(buf, ",");
    strcat(buf, extra);
  }
  strcat(buf, "}");
  return strdup(buf);
}

static char *signed_claims(const char *omit, const char *extra)
{
  char *claims = claims_json(omit, extra);
  char *token = sign_with(JWT_ALG_HS256, claims);
  free(claims);
  return token;
}

/* header.payload.signature from parts (b64url-encoding header and payload JSON). */
static char *assemble(const char *header_json, const char *payload_json, const char *sig)
{
  char *h = b64url_str(header_json), *p = b64url_str(payload_json);
  char *t = xasprintf("%s.%s.%s", h, p, sig);
  free(h);
  free(p);
  return t;
}

static const char *signature_of(const char *token)
{
  return strrchr(token, '.') + 1;
}

static char *bearer(const char *token)
{
  return xasprintf("Bearer %s", token);
}

static char *issue(const up_token_spec_t *spec)
{
  up_error_t err = {0};
  char *token = NULL;
  ck_assert_msg(up_token_issue(keyring, spec, &token, &err) == UP_OK, "issue: %s", err.message);
  ck_assert_ptr_nonnull(token);
  return token;
}

/* Verifies token (prefixed with "Bearer ") at now into p; asserts success. */
static void verify_ok(const up_keyring_t *k, const char *token, int64_t now, up_principal_t *p)
{
  up_error_t err = {0};
  char *auth = bearer(token);
  up_status_t st = up_token_verify(k, auth, now, p, &err);
  free(auth);
  ck_assert_msg(st == UP_OK, "verify: %d %s", st, err.message);
}

static bool all_zero(const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i])
      return false;
  return true;
}

/* Verifies the raw Authorization value and asserts the refusal message. */
static void expect_refusal(const char *label, const up_keyring_t *k, const char *auth, int64_t now,
                           const char *msg)
{
  up_error_t err = {0};
  up_principal_t p;
  memset(&p, 0xA5, sizeof(p));
  ck_assert_msg(up_token_verify(k, auth, now, &p, &err) == UP_UNAUTHORIZED, "%s: accepted", label);
  ck_assert_int_eq(err.status, UP_UNAUTHORIZED);
  ck_assert_str_eq(err.code, "InvalidAuthenticationToken");
  ck_assert_msg(strcmp(err.message, msg) == 0, "%s: got \"%s\", want \"%s\"", label, err.message,
                msg);
  ck_assert_msg(all_zero(&p, sizeof(p)), "%s: principal not zeroed after a refusal", label);
}

static void setup(void)
{
  up_error_t err = {0};
  snprintf(data_dir, sizeof(data_dir), "%s", up_test_tmpdir());
  ck_assert_msg(up_keyring_open(data_dir, &keyring, &err) == UP_OK, "%s", err.message);
  ck_assert_int_eq(read_key_file(data_dir, key_bytes, sizeof(key_bytes)), 32);
}

static void teardown(void)
{
  up_keyring_free(keyring);
  keyring = NULL;
  up_test_rmtree(data_dir);
}

/* ------------------------------------------------------------------------------------------ */
/* Keyring                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Names in dir other than "." and ".." (comma-joined, sorted order not guaranteed). */
static int count_entries(const char *dir, char *only, size_t n)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int count = 0;
  ck_assert_ptr_nonnull(d);
  only[0] = '\0';
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    count++;
    snprintf(only, n, "%s", e->d_name);
  }
  closedir(d);
  return count;
}

START_TEST(test_key_created)
{
  struct stat st;
  char *path = key_path(data_dir), name[256];
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  ck_assert_int_eq(st.st_size, 32);
  ck_assert(S_ISREG(st.st_mode));
  /* The temp file is gone. */
  ck_assert_int_eq(count_entries(data_dir, name, sizeof(name)), 1);
  ck_assert_str_eq(name, UP_KEY_FILE);
  /* Not all zero (32 random bytes). */
  ck_assert(!all_zero(key_bytes, sizeof(key_bytes)));
  free(path);
}
END_TEST

START_TEST(test_key_reopened)
{
  up_keyring_t *again = NULL;
  up_error_t err = {0};
  up_principal_t p = {0};
  unsigned char now_bytes[33];
  up_token_spec_t spec = {.upn = "dave@contoso.com", .now = T0};
  char *token = issue(&spec);

  ck_assert_int_eq(up_keyring_open(data_dir, &again, &err), UP_OK);
  ck_assert_int_eq(read_key_file(data_dir, now_bytes, sizeof(now_bytes)), 32);
  ck_assert(memcmp(now_bytes, key_bytes, 32) == 0);
  verify_ok(again, token, T0 + 10, &p);
  ck_assert_str_eq(p.upn, "dave@contoso.com");
  up_principal_fini(&p);
  up_keyring_free(again);
  free(token);
}
END_TEST

START_TEST(test_key_umask_ignored)
{
  const char *dir = up_test_tmpdir();
  up_keyring_t *k = NULL;
  up_error_t err = {0};
  struct stat st;
  char *path = key_path(dir);
  mode_t old = umask(0);
  ck_assert_int_eq(up_keyring_open(dir, &k, &err), UP_OK);
  umask(old);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  up_keyring_free(k);
  free(path);
  up_test_rmtree(dir);
}
END_TEST

START_TEST(test_key_other_dir_refuses)
{
  char dir2[4096];
  up_keyring_t *other = NULL;
  up_error_t err = {0};
  up_token_spec_t spec = {.upn = "dave@contoso.com", .now = T0};
  char *token = issue(&spec), *auth = bearer(token);
  snprintf(dir2, sizeof(dir2), "%s", up_test_tmpdir());
  ck_assert_int_eq(up_keyring_open(dir2, &other, &err), UP_OK);
  expect_refusal("other key", other, auth, T0 + 10, MSG_SIG);
  up_keyring_free(other);
  up_test_rmtree(dir2);
  free(auth);
  free(token);
}
END_TEST

/* Bad key files: sizes other than 32. */
static const size_t bad_sizes[] = {0, 1, 31, 33, 64};

START_TEST(test_key_bad_size)
{
  const char *dir = up_test_tmpdir();
  unsigned char junk[64] = {1, 2, 3};
  char *path = key_path(dir);
  up_keyring_t *k = (up_keyring_t *)&junk;
  up_error_t err = {0};
  write_file(path, junk, bad_sizes[_i], 0600);
  ck_assert_int_eq(up_keyring_open(dir, &k, &err), UP_INTERNAL);
  ck_assert_ptr_null(k);
  ck_assert_msg(strstr(err.message, "exactly 32 bytes") != NULL, "%s", err.message);
  ck_assert_msg(strstr(err.message, UP_KEY_FILE) != NULL, "%s", err.message);
  free(path);
  up_test_rmtree(dir);
}
END_TEST

START_TEST(test_key_errors)
{
  up_keyring_t *k = NULL;
  up_error_t err = {0};
  const char *dir = up_test_tmpdir();
  char *missing = xasprintf("%s/nope", dir), *path = key_path(dir);
  /* Missing folder. */
  ck_assert_int_eq(up_keyring_open(missing, &k, &err), UP_INTERNAL);
  ck_assert_ptr_null(k);
  ck_assert(err.message[0] != '\0');
  /* No folder at all. */
  ck_assert_int_eq(up_keyring_open(NULL, &k, &err), UP_INTERNAL);
  /* The key is a directory. */
  ck_assert_int_eq(mkdir(path, 0700), 0);
  ck_assert_int_eq(up_keyring_open(dir, &k, &err), UP_INTERNAL);
  ck_assert_msg(strstr(err.message, "not a regular file") != NULL, "%s", err.message);
  up_keyring_free(NULL);
  free(missing);
  free(path);
  up_test_rmtree(dir);
}
END_TEST

START_TEST(test_key_loose_mode_tightened)
{
  const char *dir = up_test_tmpdir();
  unsigned char bytes[32];
  char *path = key_path(dir);
  up_keyring_t *k = NULL;
  up_error_t err = {0};
  struct stat st;
  memset(bytes, 0x42, sizeof(bytes));
  write_file(path, bytes, sizeof(bytes), 0644);
  ck_assert_int_eq(up_keyring_open(dir, &k, &err), UP_OK);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  up_keyring_free(k);
  free(path);
  up_test_rmtree(dir);
}
END_TEST

/* Several processes open the same empty folder at once: all end up with the same key. */
START_TEST(test_key_concurrent_creation)
{
  enum { N = 8 };
  const char *tmp = up_test_tmpdir();
  char dir[4096], name[256];
  int fds[N][2];
  pid_t pids[N];
  char tokens[N][1024];
  snprintf(dir, sizeof(dir), "%s", tmp);
  for (int i = 0; i < N; i++) {
    ck_assert_int_eq(pipe(fds[i]), 0);
    pids[i] = fork();
    ck_assert_int_ge(pids[i], 0);
    if (pids[i] == 0) {
      up_keyring_t *k = NULL;
      up_token_spec_t spec = {.upn = "erin@contoso.com", .now = T0};
      char *token = NULL;
      int rc = 1;
      close(fds[i][0]);
      if (up_keyring_open(dir, &k, NULL) == UP_OK &&
          up_token_issue(k, &spec, &token, NULL) == UP_OK)
        rc = write(fds[i][1], token, strlen(token)) == (ssize_t)strlen(token) ? 0 : 1;
      free(token);
      up_keyring_free(k);
      _exit(rc);
    }
    close(fds[i][1]);
  }
  for (int i = 0; i < N; i++) {
    int status = 0;
    ssize_t got = read(fds[i][0], tokens[i], sizeof(tokens[i]) - 1);
    ck_assert_int_gt(got, 0);
    tokens[i][got] = '\0';
    close(fds[i][0]);
    ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  /* HS256 is deterministic: same claims and same key give the same token. */
  for (int i = 1; i < N; i++)
    ck_assert_str_eq(tokens[i], tokens[0]);
  ck_assert_int_eq(count_entries(dir, name, sizeof(name)), 1);
  ck_assert_str_eq(name, UP_KEY_FILE);
  up_test_rmtree(dir);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Issuing and round trips                                                                     */
/* ------------------------------------------------------------------------------------------ */

START_TEST(test_delegated_round_trip)
{
  up_principal_t p = {0};
  char expected_oid[UP_ID_SIZE];
  up_token_spec_t spec = {
      .tenant_id = "0B5E7C2A-1D3F-4E6A-8B9C-0D1E2F3A4B5C",
      .upn = "Alice@Contoso.com",
      .name = "Alice Example",
      .app_id = APP_ID,
      .scopes = " PrintJob.ReadWrite   Printer.Read.All ",
      .roles = "PrinterAdministrator " OTHER_ROLE " globaladministrator",
      .groups = GROUP_1 " " GROUP_2,
      .expires_in = 600,
      .now = T0,
  };
  char *token = issue(&spec), *header = segment_json(token, 0), *payload = segment_json(token, 1);

  /* The header and the raw claims. */
  ck_assert_str_eq(header, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
  ck_assert_ptr_nonnull(strstr(payload, "\"aud\":\"https://graph.microsoft.com\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"iss\":\"https://sts.windows.net/" TENANT_B "/\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"ver\":\"1.0\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"idtyp\":\"user\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"unique_name\":\"Alice@Contoso.com\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"scp\":\"PrintJob.ReadWrite Printer.Read.All\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"iat\":1700000000"));
  ck_assert_ptr_nonnull(strstr(payload, "\"nbf\":1700000000"));
  ck_assert_ptr_nonnull(strstr(payload, "\"exp\":1700000600"));
  ck_assert_ptr_null(strstr(payload, "\"roles\""));

  /* The principal. */
  verify_ok(keyring, token, T0 + 1, &p);
  ck_assert(!p.is_app);
  ck_assert_str_eq(p.tenant_id, TENANT_B);
  ck_assert(up_uuid_from_name(TENANT_B, "alice@contoso.com", expected_oid));
  ck_assert_str_eq(p.oid, expected_oid);
  ck_assert_str_eq(p.upn, "Alice@Contoso.com");
  ck_assert_str_eq(p.name, "Alice Example");
  ck_assert_str_eq(p.app_id, APP_ID);
  ck_assert_int_eq(p.n_scopes, 2);
  ck_assert_str_eq(p.scopes[0], "PrintJob.ReadWrite");
  ck_assert_str_eq(p.scopes[1], "Printer.Read.All");
  ck_assert_int_eq(p.n_roles, 0);
  ck_assert_int_eq(p.n_wids, 3);
  ck_assert_str_eq(p.wids[0], UP_ROLE_PRINTER_ADMIN);
  ck_assert_str_eq(p.wids[1], OTHER_ROLE);
  ck_assert_str_eq(p.wids[2], UP_ROLE_GLOBAL_ADMIN);
  ck_assert_int_eq(p.n_groups, 2);
  ck_assert_str_eq(p.groups[0], GROUP_1);
  ck_assert_str_eq(p.groups[1], GROUP_2);
  ck_assert_int_eq(p.issued_at, T0);
  ck_assert_int_eq(p.expires_at, T0 + 600);
  up_principal_fini(&p);
  ck_assert(all_zero(&p, sizeof(p)));
  up_principal_fini(&p); /* twice is safe */
  up_principal_fini(NULL);
  free(header);
  free(payload);
  free(token);
}
END_TEST

START_TEST(test_delegated_defaults)
{
  up_principal_t p = {0};
  up_token_spec_t spec = {.upn = "bob@contoso.com"};
  int64_t before = (int64_t)time(NULL);
  char *token = issue(&spec), *payload = segment_json(token, 1);
  verify_ok(keyring, token, 0, &p);
  ck_assert_str_eq(p.tenant_id, UP_DEFAULT_TENANT);
  ck_assert_str_eq(p.app_id, UP_DEFAULT_CLIENT_APP);
  ck_assert_str_eq(p.name, "bob@contoso.com");
  ck_assert_int_eq(p.n_scopes, 0);
  ck_assert_int_eq(p.n_wids, 0);
  ck_assert_int_eq(p.n_groups, 0);
  ck_assert_ptr_null(p.groups);
  ck_assert_int_ge(p.issued_at, before);
  ck_assert_int_le(p.issued_at, (int64_t)time(NULL));
  ck_assert_int_eq(p.expires_at - p.issued_at, 3600);
  ck_assert_ptr_null(strstr(payload, "\"wids\""));
  ck_assert_ptr_null(strstr(payload, "\"groups\""));
  ck_assert_ptr_nonnull(strstr(payload, "\"scp\":\"\""));
  up_principal_fini(&p);
  free(payload);
  free(token);
}
END_TEST

/* Verifies a token for spec and copies the oid out. */
static void oid_of(up_token_spec_t spec, char out[UP_ID_SIZE])
{
  up_principal_t p = {0};
  char *token;
  spec.now = T0;
  token = issue(&spec);
  verify_ok(keyring, token, T0, &p);
  memcpy(out, p.oid, UP_ID_SIZE);
  up_principal_fini(&p);
  free(token);
}

START_TEST(test_oid_derivation)
{
  char a[UP_ID_SIZE], b[UP_ID_SIZE], c[UP_ID_SIZE], d[UP_ID_SIZE], e[UP_ID_SIZE], f[UP_ID_SIZE];
  char expected[UP_ID_SIZE];
  oid_of((up_token_spec_t){.upn = "frank@contoso.com"}, a);
  oid_of((up_token_spec_t){.upn = "frank@contoso.com", .scopes = "PrintJob.Read"}, b);
  oid_of((up_token_spec_t){.upn = "FRANK@Contoso.COM"}, c);
  oid_of((up_token_spec_t){.upn = "frank@contoso.com", .tenant_id = TENANT_B}, d);
  oid_of((up_token_spec_t){.upn = "grace@contoso.com"}, e);
  oid_of(
      (up_token_spec_t){.upn = "frank@contoso.com", .oid = "C0FFEE00-1234-4ABC-9DEF-0123456789AB"},
      f);
  ck_assert(up_uuid_from_name(UP_DEFAULT_TENANT, "frank@contoso.com", expected));
  ck_assert_str_eq(a, expected);
  ck_assert_str_eq(a, b);        /* same upn, same oid */
  ck_assert_str_eq(a, c);        /* upn case does not matter */
  ck_assert_str_ne(a, d);        /* another tenant, another oid */
  ck_assert_str_ne(a, e);        /* another user */
  ck_assert_str_eq(f, USER_OID); /* explicit, lower-cased */
}
END_TEST

START_TEST(test_app_round_trip)
{
  up_principal_t p = {0};
  char expected_oid[UP_ID_SIZE];
  up_token_spec_t spec = {
      .app_id = APP_ID,
      .scopes = "PrintJob.Manage.All  PrintTaskDefinition.ReadWrite.All",
      .groups = GROUP_1,
      .now = T0,
  };
  char *token = issue(&spec), *payload = segment_json(token, 1);
  ck_assert_ptr_nonnull(strstr(payload, "\"idtyp\":\"app\""));
  ck_assert_ptr_nonnull(
      strstr(payload, "\"roles\":[\"PrintJob.Manage.All\",\"PrintTaskDefinition.ReadWrite.All\"]"));
  ck_assert_ptr_null(strstr(payload, "\"upn\""));
  ck_assert_ptr_null(strstr(payload, "\"unique_name\""));
  ck_assert_ptr_null(strstr(payload, "\"scp\""));
  ck_assert_ptr_null(strstr(payload, "\"wids\""));

  verify_ok(keyring, token, T0 + 5, &p);
  ck_assert(p.is_app);
  ck_assert_str_eq(p.tenant_id, UP_DEFAULT_TENANT);
  ck_assert(up_uuid_from_name(UP_DEFAULT_TENANT, "app:" APP_ID, expected_oid));
  ck_assert_str_eq(p.oid, expected_oid);
  ck_assert_ptr_null(p.upn);
  ck_assert_str_eq(p.name, "app " APP_ID);
  ck_assert_str_eq(p.app_id, APP_ID);
  ck_assert_int_eq(p.n_scopes, 0);
  ck_assert_int_eq(p.n_roles, 2);
  ck_assert_str_eq(p.roles[0], "PrintJob.Manage.All");
  ck_assert_str_eq(p.roles[1], "PrintTaskDefinition.ReadWrite.All");
  ck_assert_int_eq(p.n_wids, 0);
  ck_assert_int_eq(p.n_groups, 1);
  ck_assert_int_eq(p.expires_at, T0 + 3600);
  ck_assert(up_principal_has_scope(&p, "printjob.manage.all"));
  ck_assert(!up_principal_has_scope(&p, "PrintJob.Read"));
  ck_assert(!up_principal_is_printer_admin(&p));
  up_principal_fini(&p);
  free(payload);
  free(token);
}
END_TEST

START_TEST(test_has_scope_and_admin)
{
  up_principal_t p = {0};
  up_token_spec_t spec = {.upn = "heidi@contoso.com",
                          .scopes = "PrintJob.ReadWrite Printer.Read.All",
                          .roles = OTHER_ROLE,
                          .now = T0};
  char *token = issue(&spec);
  verify_ok(keyring, token, T0, &p);
  ck_assert(up_principal_has_scope(&p, "PrintJob.ReadWrite"));
  ck_assert(up_principal_has_scope(&p, "printer.read.all"));
  ck_assert(!up_principal_has_scope(&p, "PrintJob.ReadWrite.All"));
  ck_assert(!up_principal_has_scope(&p, "PrintJob"));
  ck_assert(!up_principal_has_scope(&p, ""));
  ck_assert(!up_principal_has_scope(&p, NULL));
  ck_assert(!up_principal_has_scope(NULL, "PrintJob.ReadWrite"));
  ck_assert(!up_principal_is_printer_admin(&p));
  ck_assert(!up_principal_is_printer_admin(NULL));
  up_principal_fini(&p);
  free(token);

  /* Either admin role, by name or by GUID in any case. */
  static const char *const admin_roles[] = {"PrinterAdministrator", "GlobalAdministrator",
                                            "644EF478-E28F-4E28-B9DC-3FDDE9AA0B1F",
                                            UP_ROLE_GLOBAL_ADMIN};
  for (size_t i = 0; i < sizeof(admin_roles) / sizeof(admin_roles[0]); i++) {
    spec.roles = admin_roles[i];
    token = issue(&spec);
    verify_ok(keyring, token, T0, &p);
    ck_assert_msg(up_principal_is_printer_admin(&p), "%s", admin_roles[i]);
    up_principal_fini(&p);
    free(token);
  }

  /* A delegated token does not get scopes from a roles claim. */
  char *claims =
      claims_json("scp", "\"scp\":\"PrintJob.Read\",\"roles\":[\"PrintJob.Manage.All\"]");
  token = sign_with(JWT_ALG_HS256, claims);
  verify_ok(keyring, token, T0, &p);
  ck_assert(!p.is_app);
  ck_assert_int_eq(p.n_roles, 1);
  ck_assert(!up_principal_has_scope(&p, "PrintJob.Manage.All"));
  ck_assert(up_principal_has_scope(&p, "PrintJob.Read"));
  up_principal_fini(&p);
  free(claims);
  free(token);
}
END_TEST

/* Specs that up_token_issue must refuse. */
static const struct {
  up_token_spec_t spec;
  const char *message; /* substring */
} bad_specs[] = {
    {{.upn = "a@b.c", .roles = "PrinterAdministrator Janitor"},
     "unknown directory role 'Janitor' (known: PrinterAdministrator, GlobalAdministrator, or a "
     "role template GUID)"},
    {{.app_id = APP_ID, .roles = "PrinterAdministrator"}, "delegated"},
    {{.scopes = "PrintJob.Manage.All"}, "app id"},
    {{.app_id = "", .scopes = "PrintJob.Manage.All"}, "app id"},
    {{.upn = "a@b.c", .tenant_id = "contoso.onmicrosoft.com"}, "not a GUID"},
    {{.upn = "a@b.c", .oid = "12345"}, "not a GUID"},
    {{.app_id = APP_ID, .oid = "c0ffee00-1234-4abc-9def-0123456789abX"}, "not a GUID"},
    {{.upn = ""}, "empty"},
    {{.upn = "a@b.c", .groups = GROUP_1 " printers"}, "not a GUID"},
    {{.upn = "a@b.c", .now = T0, .expires_in = INT64_MAX}, "out of range"},
};

START_TEST(test_issue_invalid)
{
  up_error_t err = {0};
  char *token = (char *)"sentinel";
  ck_assert_int_eq(up_token_issue(keyring, &bad_specs[_i].spec, &token, &err), UP_INVALID);
  ck_assert_ptr_null(token);
  ck_assert_int_eq(err.status, UP_INVALID);
  ck_assert_msg(strstr(err.message, bad_specs[_i].message) != NULL, "case %d: %s", _i, err.message);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* Verification refusals                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* A valid token from the fixture key, issued at T0 for an hour. */
static char *good_token(void)
{
  up_token_spec_t spec = {.upn = "ivan@contoso.com",
                          .scopes = "PrintJob.Read",
                          .roles = "PrinterAdministrator",
                          .now = T0};
  return issue(&spec);
}

typedef char *(*make_auth_fn)(void);

static char *auth_null(void)
{
  return NULL;
}
static char *auth_empty(void)
{
  return strdup("");
}
static char *auth_blank(void)
{
  return strdup("   ");
}
static char *auth_basic(void)
{
  return strdup("Basic dXNlcjpwYXNzd29yZA==");
}
static char *auth_bearer_only(void)
{
  return strdup("Bearer");
}
static char *auth_bearer_spaces(void)
{
  return strdup("Bearer     ");
}
static char *auth_glued(void)
{
  char *t = good_token(), *a = xasprintf("Bearer%s", t);
  free(t);
  return a;
}
static char *auth_garbage(void)
{
  return strdup("Bearer this-is-not-a-jwt");
}
static char *auth_two_parts(void)
{
  char *t = good_token();
  *strrchr(t, '.') = '\0';
  char *a = bearer(t);
  free(t);
  return a;
}
static char *auth_four_parts(void)
{
  char *t = good_token(), *a = xasprintf("Bearer %s.abc", t);
  free(t);
  return a;
}
static char *auth_inner_space(void)
{
  char *t = good_token(), *dot = strchr(t, '.'), *a;
  *dot = '\0';
  a = xasprintf("Bearer %s. %s", t, dot + 1);
  free(t);
  return a;
}
static char *auth_bad_chars(void)
{
  char *t = good_token(), *a;
  t[3] = '+'; /* standard base64, not base64url */
  a = bearer(t);
  free(t);
  return a;
}
static char *auth_payload_not_json(void)
{
  char *t = good_token();
  char *a, *tok = assemble("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "not json", signature_of(t));
  a = bearer(tok);
  free(tok);
  free(t);
  return a;
}
static char *auth_payload_array(void)
{
  char *t = good_token();
  char *a, *tok = assemble("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "[1,2]", signature_of(t));
  a = bearer(tok);
  free(tok);
  free(t);
  return a;
}
static char *auth_duplicate_claims(void)
{
  char *claims = claims_json("", ""), *good = good_token(), *t, *a;
  /* Duplicate "oid" keys: some parsers keep the first, some the last. */
  char *dup = xasprintf("{\"oid\":\"" OTHER_ROLE "\",%s", claims + 1);
  t = assemble("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", dup, signature_of(good));
  a = bearer(t);
  free(t);
  free(good);
  free(dup);
  free(claims);
  return a;
}
static char *auth_tampered_payload(void)
{
  char *t = good_token(), *payload = segment_json(t, 1), *pos, *tok, *a;
  /* Flip the upn, keep header and signature. */
  pos = strstr(payload, "ivan@");
  ck_assert_ptr_nonnull(pos);
  memcpy(pos, "eve!@", 5);
  tok = assemble("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, signature_of(t));
  a = bearer(tok);
  free(tok);
  free(payload);
  free(t);
  return a;
}
static char *auth_tampered_signature(void)
{
  char *t = good_token(), *sig = strrchr(t, '.') + 5, *a;
  *sig = *sig == 'A' ? 'B' : 'A';
  a = bearer(t);
  free(t);
  return a;
}
static char *auth_signature_bits(void)
{
  /* Flip the unused low bits of the last signature character: same bytes to a lax decoder. */
  char *t = good_token(), *last = t + strlen(t) - 1, *a;
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int v = (int)(strchr(alphabet, *last) - alphabet);
  *last = alphabet[v ^ 1];
  a = bearer(t);
  free(t);
  return a;
}
static char *auth_alg_none(void)
{
  char *claims = claims_json("", ""),
       *tok = assemble("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, "");
  char *a = bearer(tok);
  free(tok);
  free(claims);
  return a;
}
static char *auth_alg_none_with_sig(void)
{
  char *t = good_token(), *payload = segment_json(t, 1);
  char *tok = assemble("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, signature_of(t));
  char *a = bearer(tok);
  free(tok);
  free(payload);
  free(t);
  return a;
}
static char *auth_alg_hs384(void)
{
  char *claims = claims_json("", ""), *t = sign_with(JWT_ALG_HS384, claims), *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *auth_alg_hs512(void)
{
  char *claims = claims_json("", ""), *t = sign_with(JWT_ALG_HS512, claims), *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *auth_alg_rs256(void)
{
  char *t = good_token(), *payload = segment_json(t, 1);
  char *tok = assemble("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, signature_of(t));
  char *a = bearer(tok);
  free(tok);
  free(payload);
  free(t);
  return a;
}
static char *auth_alg_lower(void)
{
  char *t = good_token(), *payload = segment_json(t, 1);
  char *tok = assemble("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", payload, signature_of(t));
  char *a = bearer(tok);
  free(tok);
  free(payload);
  free(t);
  return a;
}
static char *auth_alg_missing(void)
{
  char *t = good_token(), *payload = segment_json(t, 1);
  char *tok = assemble("{\"typ\":\"JWT\"}", payload, signature_of(t));
  char *a = bearer(tok);
  free(tok);
  free(payload);
  free(t);
  return a;
}
static char *auth_too_long(void)
{
  size_t n = 17000;
  char *a = malloc(n + 8);
  ck_assert_ptr_nonnull(a);
  strcpy(a, "Bearer ");
  memset(a + 7, 'a', n);
  a[7 + n] = '\0';
  return a;
}
static char *auth_expired(void)
{
  char *t = good_token(), *a = bearer(t);
  free(t);
  return a;
}
/* Hand-signed tokens with the right key but missing or malformed claims. */
#define SIGNED_CASE(fn, omit, extra)                                                               \
  static char *fn(void)                                                                            \
  {                                                                                                \
    char *t = signed_claims(omit, extra), *a = bearer(t);                                          \
    free(t);                                                                                       \
    return a;                                                                                      \
  }
SIGNED_CASE(auth_no_tid, "tid", "")
SIGNED_CASE(auth_no_oid, "oid", "")
SIGNED_CASE(auth_no_appid, "appid", "")
SIGNED_CASE(auth_no_exp, "exp", "")
SIGNED_CASE(auth_nbf_future, "nbf", "\"nbf\":1700000100")
SIGNED_CASE(auth_tid_not_guid, "tid", "\"tid\":\"contoso\"")
SIGNED_CASE(auth_oid_number, "oid", "\"oid\":42")
SIGNED_CASE(auth_appid_empty, "appid", "\"appid\":\"\"")
SIGNED_CASE(auth_exp_string, "exp", "\"exp\":\"tomorrow\"")
SIGNED_CASE(auth_roles_string, "", "\"roles\":\"PrintJob.Manage.All\"")
SIGNED_CASE(auth_wids_numbers, "", "\"wids\":[1,2]")
SIGNED_CASE(auth_scp_array, "scp", "\"scp\":[\"PrintJob.Read\"]")
SIGNED_CASE(auth_wrong_aud, "aud", "\"aud\":\"https://management.azure.com\"")

static const struct {
  const char *label;
  make_auth_fn make;
  int64_t now;
  const char *message;
} refusals[] = {
    {"NULL", auth_null, T0, MSG_EMPTY},
    {"empty", auth_empty, T0, MSG_EMPTY},
    {"blank", auth_blank, T0, MSG_EMPTY},
    {"Basic", auth_basic, T0, MSG_SCHEME},
    {"Bearer only", auth_bearer_only, T0, MSG_EMPTY},
    {"Bearer and spaces", auth_bearer_spaces, T0, MSG_EMPTY},
    {"Bearer glued to the token", auth_glued, T0, MSG_SCHEME},
    {"garbage", auth_garbage, T0, MSG_FORMAT},
    {"two parts", auth_two_parts, T0, MSG_FORMAT},
    {"four parts", auth_four_parts, T0, MSG_FORMAT},
    {"space inside", auth_inner_space, T0, MSG_FORMAT},
    {"base64 not url", auth_bad_chars, T0, MSG_FORMAT},
    {"payload not JSON", auth_payload_not_json, T0, MSG_FORMAT},
    {"payload an array", auth_payload_array, T0, MSG_FORMAT},
    {"duplicate claims", auth_duplicate_claims, T0, MSG_FORMAT},
    {"tampered payload", auth_tampered_payload, T0, MSG_SIG},
    {"tampered signature", auth_tampered_signature, T0, MSG_SIG},
    {"non-canonical signature", auth_signature_bits, T0, MSG_FORMAT},
    {"alg none", auth_alg_none, T0, MSG_SIG},
    {"alg none, signature kept", auth_alg_none_with_sig, T0, MSG_SIG},
    {"HS384", auth_alg_hs384, T0, MSG_SIG},
    {"HS512", auth_alg_hs512, T0, MSG_SIG},
    {"RS256", auth_alg_rs256, T0, MSG_SIG},
    {"alg lower case", auth_alg_lower, T0, MSG_SIG},
    {"alg missing", auth_alg_missing, T0, MSG_SIG},
    {"too long", auth_too_long, T0, "Access token validation failure. The token is too long."},
    {"expired at exp", auth_expired, T0 + 3600, MSG_EXPIRED},
    {"expired after exp", auth_expired, T0 + 86400, MSG_EXPIRED},
    {"before nbf", auth_expired, T0 - 1, MSG_NOT_YET},
    {"nbf in the future", auth_nbf_future, T0 + 99, MSG_NOT_YET},
    {"no tid", auth_no_tid, T0,
     "Access token validation failure. The token lacks the 'tid' claim."},
    {"no oid", auth_no_oid, T0,
     "Access token validation failure. The token lacks the 'oid' claim."},
    {"no appid", auth_no_appid, T0,
     "Access token validation failure. The token lacks the 'appid' claim."},
    {"no exp", auth_no_exp, T0,
     "Access token validation failure. The token lacks the 'exp' claim."},
    {"tid not a GUID", auth_tid_not_guid, T0,
     "Access token validation failure. The 'tid' claim is malformed."},
    {"oid a number", auth_oid_number, T0,
     "Access token validation failure. The 'oid' claim is malformed."},
    {"appid empty", auth_appid_empty, T0,
     "Access token validation failure. The 'appid' claim is malformed."},
    {"exp a string", auth_exp_string, T0,
     "Access token validation failure. The 'exp' claim is malformed."},
    {"roles a string", auth_roles_string, T0,
     "Access token validation failure. The 'roles' claim is malformed."},
    {"wids numbers", auth_wids_numbers, T0,
     "Access token validation failure. The 'wids' claim is malformed."},
    {"scp an array", auth_scp_array, T0,
     "Access token validation failure. The 'scp' claim is malformed."},
    {"wrong audience", auth_wrong_aud, T0, "Access token validation failure. Invalid audience."},
};

START_TEST(test_refusals)
{
  char *auth = refusals[_i].make();
  expect_refusal(refusals[_i].label, keyring, auth, refusals[_i].now, refusals[_i].message);
  free(auth);
}
END_TEST

/* Accepted forms of the header and lifetime edges. */
START_TEST(test_accepted_forms)
{
  char *t = good_token();
  static const char *const forms[] = {"Bearer %s", "bearer %s", "BEARER %s", "Bearer    %s",
                                      "  Bearer %s  "};
  for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    up_principal_t p = {0};
    up_error_t err = {0};
    char *auth = xasprintf(forms[i], t);
    ck_assert_msg(up_token_verify(keyring, auth, T0, &p, &err) == UP_OK, "%s: %s", forms[i],
                  err.message);
    ck_assert_str_eq(p.upn, "ivan@contoso.com");
    ck_assert(up_principal_is_printer_admin(&p));
    up_principal_fini(&p);
    free(auth);
  }
  /* Last valid second. */
  up_principal_t p = {0};
  verify_ok(keyring, t, T0 + 3599, &p);
  up_principal_fini(&p);
  free(t);
}
END_TEST

/* Tokens from elsewhere (hand-signed): idtyp absent, real-valued times, no nbf. */
START_TEST(test_idtyp_fallback)
{
  up_principal_t p = {0};
  char *t = signed_claims("idtyp,nbf,exp", "\"exp\":1700003600.5");
  verify_ok(keyring, t, T0, &p);
  ck_assert(!p.is_app); /* scp present */
  ck_assert_int_eq(p.expires_at, T0 + 3600);
  ck_assert_int_eq(p.n_scopes, 1);
  up_principal_fini(&p);
  free(t);

  t = signed_claims("idtyp,scp,upn", "\"roles\":[\"Printer.Read.All\"]");
  verify_ok(keyring, t, T0, &p);
  ck_assert(p.is_app); /* no scp */
  ck_assert_ptr_null(p.upn);
  ck_assert_ptr_null(p.name);
  ck_assert(up_principal_has_scope(&p, "Printer.Read.All"));
  up_principal_fini(&p);
  free(t);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */

static Suite *auth_suite(void)
{
  Suite *s = suite_create("auth");
  TCase *keys = tcase_create("keyring"), *core = tcase_create("core"),
        *errors = tcase_create("errors");

  tcase_add_checked_fixture(keys, setup, teardown);
  tcase_add_test(keys, test_key_created);
  tcase_add_test(keys, test_key_reopened);
  tcase_add_test(keys, test_key_umask_ignored);
  tcase_add_test(keys, test_key_other_dir_refuses);
  tcase_add_loop_test(keys, test_key_bad_size, 0, (int)(sizeof(bad_sizes) / sizeof(bad_sizes[0])));
  tcase_add_test(keys, test_key_errors);
  tcase_add_test(keys, test_key_loose_mode_tightened);
  tcase_add_test(keys, test_key_concurrent_creation);
  tcase_set_timeout(keys, 60);
  suite_add_tcase(s, keys);

  tcase_add_checked_fixture(core, setup, teardown);
  tcase_add_test(core, test_delegated_round_trip);
  tcase_add_test(core, test_delegated_defaults);
  tcase_add_test(core, test_oid_derivation);
  tcase_add_test(core, test_app_round_trip);
  tcase_add_test(core, test_has_scope_and_admin);
  tcase_add_test(core, test_accepted_forms);
  tcase_add_test(core, test_idtyp_fallback);
  suite_add_tcase(s, core);

  tcase_add_checked_fixture(errors, setup, teardown);
  tcase_add_loop_test(errors, test_issue_invalid, 0,
                      (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
  tcase_add_loop_test(errors, test_refusals, 0, (int)(sizeof(refusals) / sizeof(refusals[0])));
  suite_add_tcase(s, errors);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(auth_suite());
  int failed;
  up_log_set_level(UP_LOG_ERROR);
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
