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
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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
#define MSG_UNSIGNED                                                                               \
  "Access token validation failure. Unsigned tokens (alg 'none') are not accepted."
#define MSG_NO_ALG   "Access token validation failure. The token header lacks the 'alg' member."
#define MSG_ISSUER   "Access token validation failure. Invalid issuer."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_CRIT                                                                                   \
  "Access token validation failure. The token header has critical extensions ('crit') that are "   \
  "not supported."
#define MSG_UNSUPPORTED(alg)                                                                       \
  "Access token validation failure. The signing algorithm '" alg "' is not supported (HS256, "     \
  "RS256, ES256)."
#define MSG_NO_JWKS(alg)                                                                           \
  "Access token validation failure. " alg " tokens are not accepted: no keys of an identity "      \
  "provider are trusted."
#define MSG_LACKS(claim) "Access token validation failure. The token lacks the '" claim "' claim."
#define SKEW             UP_DEFAULT_CLOCK_SKEW

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
  return up_test_issue(keyring, spec);
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
    {"alg none", auth_alg_none, T0, MSG_UNSIGNED},
    {"alg none, signature kept", auth_alg_none_with_sig, T0, MSG_UNSIGNED},
    {"HS384", auth_alg_hs384, T0, MSG_UNSUPPORTED("HS384")},
    {"HS512", auth_alg_hs512, T0, MSG_UNSUPPORTED("HS512")},
    {"RS256 without trusted keys", auth_alg_rs256, T0, MSG_NO_JWKS("RS256")},
    {"alg lower case", auth_alg_lower, T0, MSG_UNSUPPORTED("hs256")},
    {"alg missing", auth_alg_missing, T0, MSG_NO_ALG},
    {"too long", auth_too_long, T0, "Access token validation failure. The token is too long."},
    {"expired at exp + skew", auth_expired, T0 + 3600 + SKEW, MSG_EXPIRED},
    {"expired after exp", auth_expired, T0 + 86400, MSG_EXPIRED},
    {"before nbf - skew", auth_expired, T0 - SKEW - 1, MSG_NOT_YET},
    {"nbf in the future", auth_nbf_future, T0 + 100 - SKEW - 1, MSG_NOT_YET},
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

/* Leeway on exp and nbf: UP_DEFAULT_CLOCK_SKEW seconds unless set. */
START_TEST(test_clock_skew)
{
  up_principal_t p = {0};
  char *t = good_token(), *auth = bearer(t); /* nbf T0, exp T0 + 3600 */
  verify_ok(keyring, t, T0 + 3600 + SKEW - 1, &p);
  up_principal_fini(&p);
  verify_ok(keyring, t, T0 - SKEW, &p);
  up_principal_fini(&p);
  up_keyring_set_clock_skew(keyring, 0);
  expect_refusal("skew 0, at exp", keyring, auth, T0 + 3600, MSG_EXPIRED);
  expect_refusal("skew 0, before nbf", keyring, auth, T0 - 1, MSG_NOT_YET);
  verify_ok(keyring, t, T0 + 3599, &p);
  up_principal_fini(&p);
  up_keyring_set_clock_skew(keyring, 600);
  verify_ok(keyring, t, T0 + 3600 + 599, &p);
  up_principal_fini(&p);
  expect_refusal("skew 600", keyring, auth, T0 + 3600 + 600, MSG_EXPIRED);
  free(auth);
  free(t);
}
END_TEST

/* A token verified once is recognised again without its signature being checked, but only
 * the very same token, only while it has not expired, and not at an earlier time. */
START_TEST(test_verified_token_cache)
{
  up_principal_t p = {0}, q = {0};
  char *t = good_token(), *auth = bearer(t); /* nbf T0, exp T0 + 3600 */
  unsigned long hits = up_keyring_cache_hits(keyring);
  verify_ok(keyring, t, T0 + 10, &p);
  ck_assert_uint_eq(up_keyring_cache_hits(keyring), hits);
  verify_ok(keyring, t, T0 + 20, &q);
  ck_assert_uint_eq(up_keyring_cache_hits(keyring), hits + 1);
  /* The same principal, its own copy. */
  ck_assert_str_eq(p.tenant_id, q.tenant_id);
  ck_assert_str_eq(p.oid, q.oid);
  ck_assert_str_eq(p.upn, q.upn);
  ck_assert_ptr_ne(p.upn, q.upn);
  ck_assert_uint_eq(p.n_scopes, q.n_scopes);
  for (size_t i = 0; i < p.n_scopes; i++)
    ck_assert_str_eq(p.scopes[i], q.scopes[i]);
  ck_assert_uint_eq(p.n_wids, q.n_wids);
  up_principal_fini(&p);
  up_principal_fini(&q);
  /* Expired since: refused, cache or not. */
  expect_refusal("cached, expired", keyring, auth, T0 + 3600 + SKEW, MSG_EXPIRED);
  /* An earlier time than when it was verified: checked afresh (nbf). */
  expect_refusal("cached, before nbf", keyring, auth, T0 - SKEW - 1, MSG_NOT_YET);
  /* One character changed in the signature: not the cached token. */
  char *forged = strdup(t);
  char *sig = strrchr(forged, '.') + 1;
  sig[3] = sig[3] == 'A' ? 'B' : 'A';
  char *fauth = bearer(forged);
  expect_refusal("forged signature", keyring, fauth, T0 + 30, MSG_SIG);
  /* A new skew clears what was cached. */
  up_keyring_set_clock_skew(keyring, SKEW);
  hits = up_keyring_cache_hits(keyring);
  verify_ok(keyring, t, T0 + 40, &p);
  up_principal_fini(&p);
  ck_assert_uint_eq(up_keyring_cache_hits(keyring), hits);
  free(fauth);
  free(forged);
  free(auth);
  free(t);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* External identity provider: RS256 and ES256 tokens verified with the keys of a JWKS file     */
/* ------------------------------------------------------------------------------------------ */

#define ISS         "https://login.microsoftonline.com/" TENANT_B "/v2.0"
#define AUD         "api://uprintd"
#define EXT_APP     "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define EXT_OID     "D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6"
#define EXT_OID_LOW "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"

/* Keys made once per run (before the tests fork): two RSA keys, one EC P-256 key, and a short
 * RSA key. PEM texts of the private keys sign tokens with libjwt. */
static EVP_PKEY *rsa_key, *rsa2_key, *ec_key, *rsa_short_key;
static char *rsa_pem, *rsa2_pem, *ec_pem, *rsa_pub_pem;
static char *rsa_jwk, *rsa2_jwk, *ec_jwk, *rsa_short_jwk; /* JWK objects (JSON text) */

static char *pem_of(EVP_PKEY *key, bool private_key)
{
  BIO *bio = BIO_new(BIO_s_mem());
  char *data = NULL, *out;
  long n;
  ck_assert_ptr_nonnull(bio);
  ck_assert_int_eq(private_key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                               : PEM_write_bio_PUBKEY(bio, key),
                   1);
  n = BIO_get_mem_data(bio, &data);
  ck_assert_int_gt(n, 0);
  out = strndup(data, (size_t)n);
  BIO_free(bio);
  return out;
}

/* The base64url big-endian bytes of a key parameter, padded to pad bytes (0: minimal). */
static char *param_b64(EVP_PKEY *key, const char *name, int pad)
{
  BIGNUM *bn = NULL;
  unsigned char buf[1024];
  int n;
  ck_assert_int_eq(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
  ck_assert_int_gt(n, 0);
  BN_free(bn);
  return b64url(buf, (size_t)n);
}

/* A JWK (JSON object text) of key with kid (NULL: none) and extra members (may be ""). */
static char *jwk_of(EVP_PKEY *key, const char *kid, const char *extra)
{
  char *a, *b, *kid_member = kid ? xasprintf("\"kid\":\"%s\",", kid) : strdup(""), *out;
  if (EVP_PKEY_is_a(key, "RSA")) {
    a = param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
    b = param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
    out = xasprintf("{\"kty\":\"RSA\",%s\"n\":\"%s\",\"e\":\"%s\"%s}", kid_member, a, b, extra);
  } else {
    a = param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
    b = param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    out = xasprintf("{\"kty\":\"EC\",\"crv\":\"P-256\",%s\"x\":\"%s\",\"y\":\"%s\"%s}", kid_member,
                    a, b, extra);
  }
  free(a);
  free(b);
  free(kid_member);
  return out;
}

static void make_keys(void)
{
  rsa_key = EVP_RSA_gen(2048);
  rsa2_key = EVP_RSA_gen(2048);
  ec_key = EVP_EC_gen("P-256");
  rsa_short_key = EVP_RSA_gen(1024);
  ck_assert(rsa_key && rsa2_key && ec_key && rsa_short_key);
  rsa_pem = pem_of(rsa_key, true);
  rsa2_pem = pem_of(rsa2_key, true);
  ec_pem = pem_of(ec_key, true);
  rsa_pub_pem = pem_of(rsa_key, false);
  rsa_jwk = jwk_of(rsa_key, "rsa-1", ",\"use\":\"sig\",\"alg\":\"RS256\"");
  rsa2_jwk = jwk_of(rsa2_key, NULL, "");
  ec_jwk = jwk_of(ec_key, "ec-1", ",\"use\":\"sig\"");
  rsa_short_jwk = jwk_of(rsa_short_key, "short", "");
}

static void free_keys(void)
{
  EVP_PKEY_free(rsa_key);
  EVP_PKEY_free(rsa2_key);
  EVP_PKEY_free(ec_key);
  EVP_PKEY_free(rsa_short_key);
  free(rsa_pem);
  free(rsa2_pem);
  free(ec_pem);
  free(rsa_pub_pem);
  free(rsa_jwk);
  free(rsa2_jwk);
  free(ec_jwk);
  free(rsa_short_jwk);
}

/* Writes text to DATA/name; returns the path. */
static char *write_data_file(const char *name, const char *text)
{
  char *path = xasprintf("%s/%s", data_dir, name);
  write_file(path, text, strlen(text), 0644);
  return path;
}

/* Trusts {"keys":[keys]} (keys: comma-separated JWK texts) with ISS and AUD; returns the number
 * of keys trusted. */
static size_t trust_keys(up_keyring_t *k, const char *keys, const char *iss, const char *aud)
{
  up_error_t err = {0};
  size_t n = 0;
  char *text = xasprintf("{\"keys\":[%s]}", keys), *path = write_data_file("jwks.json", text);
  ck_assert_msg(up_keyring_trust_jwks(k, path, iss, aud, &n, &err) == UP_OK, "%s", err.message);
  free(path);
  free(text);
  return n;
}

/* The fixture of the external tests: the default keyring trusts rsa-1, the kid-less RSA key and
 * ec-1, with ISS and AUD. */
static void ext_setup(void)
{
  char *keys;
  setup();
  keys = xasprintf("%s,%s,%s", rsa_jwk, rsa2_jwk, ec_jwk);
  ck_assert_uint_eq(trust_keys(keyring, keys, ISS, AUD), 3);
  free(keys);
}

/* Claims of an Entra ID v2 delegated token at T0 for AUD from ISS, with `extra` spliced in (may
 * be "") and the named claims left out (comma-separated list, may be ""). */
static char *ext_claims(const char *omit, const char *extra)
{
  static const struct {
    const char *name, *json;
  } base[] = {
      {"aud", "\"aud\":\"" AUD "\""},
      {"iss", "\"iss\":\"" ISS "\""},
      {"tid", "\"tid\":\"" TENANT_B "\""},
      {"oid", "\"oid\":\"" EXT_OID "\""},
      {"azp", "\"azp\":\"" EXT_APP "\""},
      {"exp", "\"exp\":1700003600"},
      {"nbf", "\"nbf\":1700000000"},
      {"iat", "\"iat\":1700000000"},
      {"preferred_username", "\"preferred_username\":\"judy@contoso.com\""},
      {"name", "\"name\":\"Judy Example\""},
      {"scp", "\"scp\":\"Printer.Read.All PrintJob.ReadWrite\""},
      {"wids", "\"wids\":[\"" UP_ROLE_PRINTER_ADMIN "\"]"},
      {"groups", "\"groups\":[\"" GROUP_1 "\"]"},
      {"ver", "\"ver\":\"2.0\""},
  };
  char buf[4096] = "{", *list = xasprintf(",%s,", omit);
  bool first = true;
  for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
    char tag[64];
    snprintf(tag, sizeof(tag), ",%s,", base[i].name);
    if (strstr(list, tag))
      continue;
    if (!first)
      strcat(buf, ",");
    strcat(buf, base[i].json);
    first = false;
  }
  free(list);
  if (*extra) {
    if (!first)
      strcat(buf, ",");
    strcat(buf, extra);
  }
  strcat(buf, "}");
  return strdup(buf);
}

/* Signs claims with alg and key (PEM text, or the HMAC secret), adding the kid header unless
 * NULL and the headers of headers_json unless NULL. */
static char *sign_ext(jwt_alg_t alg, const char *key, const char *kid, const char *headers_json,
                      const char *claims)
{
  jwt_t *jwt = NULL;
  char *token;
  ck_assert_int_eq(jwt_new(&jwt), 0);
  ck_assert_int_eq(jwt_add_grants_json(jwt, claims), 0);
  if (kid)
    ck_assert_int_eq(jwt_add_header(jwt, "kid", kid), 0);
  if (headers_json)
    ck_assert_int_eq(jwt_add_headers_json(jwt, headers_json), 0);
  ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key)), 0);
  token = jwt_encode_str(jwt);
  ck_assert_ptr_nonnull(token);
  jwt_free(jwt);
  return token;
}

/* A default external token: v2 delegated claims with omit/extra, RS256 with rsa-1. */
static char *ext_token(const char *omit, const char *extra)
{
  char *claims = ext_claims(omit, extra);
  char *t = sign_ext(JWT_ALG_RS256, rsa_pem, "rsa-1", NULL, claims);
  free(claims);
  return t;
}

static char *ext_es256_token(const char *omit, const char *extra)
{
  char *claims = ext_claims(omit, extra);
  char *t = sign_ext(JWT_ALG_ES256, ec_pem, "ec-1", NULL, claims);
  free(claims);
  return t;
}

/* The token with its header replaced by header_json (payload and signature kept). */
static char *with_header(const char *token, const char *header_json)
{
  char *payload = segment_json(token, 1);
  char *t = assemble(header_json, payload, signature_of(token));
  free(payload);
  return t;
}

/* "Bearer " and token with its header replaced by header_json; frees token. */
static char *bearer_with_header(char *token, const char *header_json)
{
  char *h = with_header(token, header_json), *a = bearer(h);
  free(h);
  free(token);
  return a;
}

START_TEST(test_ext_rs256_user)
{
  up_principal_t p = {0};
  char *t = ext_token("", "");
  char *header = segment_json(t, 0);
  ck_assert_ptr_nonnull(strstr(header, "\"alg\":\"RS256\""));
  verify_ok(keyring, t, T0 + 10, &p);
  ck_assert(!p.is_app);
  ck_assert_str_eq(p.tenant_id, TENANT_B);
  ck_assert_str_eq(p.oid, EXT_OID_LOW);
  ck_assert_str_eq(p.upn, "judy@contoso.com"); /* preferred_username */
  ck_assert_str_eq(p.name, "Judy Example");
  ck_assert_str_eq(p.app_id, EXT_APP); /* azp */
  ck_assert_int_eq(p.n_scopes, 2);
  ck_assert(up_principal_has_scope(&p, "Printer.Read.All"));
  ck_assert(up_principal_has_scope(&p, "PrintJob.ReadWrite"));
  ck_assert(up_principal_is_printer_admin(&p));
  ck_assert_int_eq(p.n_groups, 1);
  ck_assert_str_eq(p.groups[0], GROUP_1);
  ck_assert_int_eq(p.issued_at, T0);
  ck_assert_int_eq(p.expires_at, T0 + 3600);
  up_principal_fini(&p);
  free(header);
  free(t);

  /* v1 names win over v2 ones: upn over preferred_username, appid over azp. */
  t = ext_token("", "\"upn\":\"judy.v1@contoso.com\",\"appid\":\"" APP_ID "\"");
  verify_ok(keyring, t, T0, &p);
  ck_assert_str_eq(p.upn, "judy.v1@contoso.com");
  ck_assert_str_eq(p.app_id, APP_ID);
  up_principal_fini(&p);
  free(t);
}
END_TEST

START_TEST(test_ext_es256_app)
{
  up_principal_t p = {0};
  /* An application token: idtyp app, roles, no scp and no user; aud an array holding AUD. */
  char *t = ext_es256_token("aud,scp,preferred_username,wids,name",
                            "\"aud\":[\"api://other\",\"" AUD "\"],\"idtyp\":\"app\","
                            "\"roles\":[\"Printer.Read.All\",\"PrintJob.Manage.All\"]");
  char *header = segment_json(t, 0);
  ck_assert_ptr_nonnull(strstr(header, "\"alg\":\"ES256\""));
  ck_assert_uint_eq(strlen(signature_of(t)), 86); /* 64 bytes: r || s */
  verify_ok(keyring, t, T0, &p);
  ck_assert(p.is_app);
  ck_assert_ptr_null(p.upn);
  ck_assert_ptr_null(p.name);
  ck_assert_str_eq(p.app_id, EXT_APP);
  ck_assert_int_eq(p.n_scopes, 0);
  ck_assert_int_eq(p.n_roles, 2);
  ck_assert(up_principal_has_scope(&p, "PrintJob.Manage.All"));
  ck_assert(!up_principal_is_printer_admin(&p));
  up_principal_fini(&p);
  free(header);
  free(t);
}
END_TEST

/* A token signed by OpenSSL directly (not libjwt) verifies the same. */
static char *ext_raw_good(void);
START_TEST(test_ext_signed_by_openssl)
{
  up_principal_t p = {0};
  up_error_t err = {0};
  char *auth = ext_raw_good();
  ck_assert_msg(up_token_verify(keyring, auth, T0, &p, &err) == UP_OK, "%s", err.message);
  ck_assert_str_eq(p.upn, "judy@contoso.com");
  up_principal_fini(&p);
  free(auth);
}
END_TEST

/* Without idtyp, Entra ID's shapes decide: no scp and roles (or no user) is an application. */
START_TEST(test_ext_app_inferred)
{
  static const struct {
    const char *omit, *extra;
    bool is_app;
  } cases[] = {
      {"scp,preferred_username,wids", "\"roles\":[\"Printer.Read.All\"]", true},
      {"scp,preferred_username,wids", "", true},
      {"scp", "\"roles\":[\"Printer.Read.All\"]", true},
      {"scp", "", false},
      {"", "\"roles\":[\"Printer.Read.All\"]", false},
      {"scp,preferred_username", "\"idtyp\":\"user\"", false},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    up_principal_t p = {0};
    char *t = ext_token(cases[i].omit, cases[i].extra);
    verify_ok(keyring, t, T0, &p);
    ck_assert_msg(p.is_app == cases[i].is_app, "case %zu", i);
    ck_assert_msg(cases[i].is_app ? p.upn == NULL : true, "case %zu: upn kept", i);
    up_principal_fini(&p);
    free(t);
  }
}
END_TEST

/* Without kid, every key of the token's type is tried. */
START_TEST(test_ext_without_kid)
{
  char *claims = ext_claims("", "");
  const char *pems[] = {rsa_pem, rsa2_pem};
  for (size_t i = 0; i < 2; i++) {
    up_principal_t p = {0};
    char *t = sign_ext(JWT_ALG_RS256, pems[i], NULL, NULL, claims);
    verify_ok(keyring, t, T0, &p);
    ck_assert_str_eq(p.upn, "judy@contoso.com");
    up_principal_fini(&p);
    free(t);
  }
  up_principal_t p = {0};
  char *t = sign_ext(JWT_ALG_ES256, ec_pem, NULL, NULL, claims);
  verify_ok(keyring, t, T0, &p);
  up_principal_fini(&p);
  free(t);
  /* The kid-less key serves tokens without kid only. */
  t = sign_ext(JWT_ALG_RS256, rsa2_pem, "rsa-1", NULL, claims);
  char *auth = bearer(t);
  expect_refusal("kid-less key named rsa-1", keyring, auth, T0, MSG_SIG);
  free(auth);
  free(t);
  free(claims);
}
END_TEST

/* Trusting external keys changes nothing for local tokens; issuer and audience are theirs. */
START_TEST(test_ext_local_tokens_unchanged)
{
  up_principal_t p = {0};
  char *t = good_token(), *auth;
  verify_ok(keyring, t, T0, &p);
  ck_assert_str_eq(p.upn, "ivan@contoso.com");
  up_principal_fini(&p);
  free(t);
  /* A local token for AUD is not for Microsoft Graph. */
  t = signed_claims("aud", "\"aud\":\"" AUD "\"");
  auth = bearer(t);
  expect_refusal("local token for AUD", keyring, auth, T0, MSG_AUDIENCE);
  free(auth);
  free(t);
}
END_TEST

/* Lifetime leeway applies to external tokens too. */
START_TEST(test_ext_clock_skew)
{
  up_principal_t p = {0};
  char *t = ext_token("", ""), *auth = bearer(t); /* nbf T0, exp T0 + 3600 */
  verify_ok(keyring, t, T0 + 3600 + SKEW - 1, &p);
  up_principal_fini(&p);
  verify_ok(keyring, t, T0 - SKEW, &p);
  up_principal_fini(&p);
  expect_refusal("expired beyond the skew", keyring, auth, T0 + 3600 + SKEW, MSG_EXPIRED);
  expect_refusal("nbf beyond the skew", keyring, auth, T0 - SKEW - 1, MSG_NOT_YET);
  up_keyring_set_clock_skew(keyring, 0);
  expect_refusal("skew 0", keyring, auth, T0 + 3600, MSG_EXPIRED);
  free(auth);
  free(t);
}
END_TEST

/* Without issuer and audience settings, any iss passes and aud must be Microsoft Graph. */
START_TEST(test_ext_default_issuer_audience)
{
  up_principal_t p = {0};
  char *t, *auth;
  ck_assert_uint_eq(trust_keys(keyring, rsa_jwk, NULL, ""), 1);
  t = ext_token("iss,aud", "\"iss\":\"https://elsewhere.example\","
                           "\"aud\":\"https://graph.microsoft.com\"");
  verify_ok(keyring, t, T0, &p);
  up_principal_fini(&p);
  free(t);
  t = ext_token("iss,aud", "");
  verify_ok(keyring, t, T0, &p);
  up_principal_fini(&p);
  free(t);
  t = ext_token("", "");
  auth = bearer(t);
  expect_refusal("aud not Graph", keyring, auth, T0, MSG_AUDIENCE);
  free(auth);
  free(t);
  /* The ES256 key is no longer trusted: the file was replaced. */
  t = ext_es256_token("aud", "");
  auth = bearer(t);
  expect_refusal("replaced key set", keyring, auth, T0,
                 "Access token validation failure. The signing key 'ec-1' is unknown.");
  free(auth);
  free(t);
}
END_TEST

/* A keyring without external keys refuses RS256 and ES256 tokens, whoever signed them. */
START_TEST(test_ext_not_configured)
{
  up_keyring_t *plain = NULL;
  up_error_t err = {0};
  char *t = ext_token("", ""), *auth = bearer(t);
  ck_assert_int_eq(up_keyring_open(data_dir, &plain, &err), UP_OK);
  expect_refusal("RS256", plain, auth, T0, MSG_NO_JWKS("RS256"));
  free(auth);
  free(t);
  t = ext_es256_token("", "");
  auth = bearer(t);
  expect_refusal("ES256", plain, auth, T0, MSG_NO_JWKS("ES256"));
  up_keyring_free(plain);
  free(auth);
  free(t);
}
END_TEST

/* Keys with a use other than "sig" are not trusted. */
START_TEST(test_ext_use_enc_ignored)
{
  char *enc = jwk_of(rsa_key, "rsa-1", ",\"use\":\"enc\""), *keys = xasprintf("%s,%s", enc, ec_jwk);
  char *t = ext_token("", ""), *auth = bearer(t);
  ck_assert_uint_eq(trust_keys(keyring, keys, ISS, AUD), 1);
  expect_refusal("enc key", keyring, auth, T0,
                 "Access token validation failure. The signing key 'rsa-1' is unknown.");
  free(auth);
  free(t);
  free(keys);
  free(enc);
}
END_TEST

/* Refused external tokens: each makes the Authorization value. */
#define EXT_CASE(fn, omit, extra)                                                                  \
  static char *fn(void)                                                                            \
  {                                                                                                \
    char *t = ext_token(omit, extra), *a = bearer(t);                                              \
    free(t);                                                                                       \
    return a;                                                                                      \
  }
EXT_CASE(ext_good, "", "")
EXT_CASE(ext_wrong_iss, "iss", "\"iss\":\"https://sts.windows.net/" TENANT_B "/\"")
EXT_CASE(ext_iss_prefix, "iss", "\"iss\":\"" ISS "/\"")
EXT_CASE(ext_no_iss, "iss", "")
EXT_CASE(ext_iss_number, "iss", "\"iss\":7")
EXT_CASE(ext_wrong_aud, "aud", "\"aud\":\"api://other\"")
EXT_CASE(ext_graph_aud, "aud", "\"aud\":\"https://graph.microsoft.com\"")
EXT_CASE(ext_aud_array_without, "aud", "\"aud\":[\"api://other\",\"https://graph.microsoft.com\"]")
EXT_CASE(ext_aud_empty_array, "aud", "\"aud\":[]")
EXT_CASE(ext_no_aud, "aud", "")
EXT_CASE(ext_no_azp, "azp", "")
EXT_CASE(ext_no_tid, "tid", "")
EXT_CASE(ext_nbf_future, "nbf", "\"nbf\":1700000100")

/* Signs header.payload (JSON texts, used as they are) with rsa-1 through OpenSSL, not libjwt. */
static char *sign_rs256_raw(const char *header_json, const char *payload_json)
{
  char *h = b64url_str(header_json), *p = b64url_str(payload_json), *input, *sig_b64, *t;
  unsigned char sig[512];
  size_t sig_len = sizeof(sig);
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  input = xasprintf("%s.%s", h, p);
  ck_assert_int_eq(EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, rsa_key, NULL), 1);
  ck_assert_int_eq(EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)input, strlen(input)),
                   1);
  sig_b64 = b64url(sig, sig_len);
  t = xasprintf("%s.%s", input, sig_b64);
  EVP_MD_CTX_free(md);
  free(sig_b64);
  free(input);
  free(h);
  free(p);
  return t;
}
static char *ext_raw_good(void)
{
  char *claims = ext_claims("", "");
  char *t = sign_rs256_raw("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", claims), *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_unknown_kid(void)
{
  char *claims = ext_claims("", ""), *t = sign_ext(JWT_ALG_RS256, rsa_pem, "nope", NULL, claims);
  char *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_kid_of_other_type(void)
{
  char *claims = ext_claims("", ""), *t = sign_ext(JWT_ALG_RS256, rsa_pem, "ec-1", NULL, claims);
  char *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_kid_number(void)
{
  return bearer_with_header(ext_token("", ""), "{\"alg\":\"RS256\",\"kid\":1}");
}
static char *ext_untrusted_key(void)
{
  /* A key that is not in the set, named like one that is. */
  EVP_PKEY *other = EVP_RSA_gen(2048);
  char *pem = pem_of(other, true), *claims = ext_claims("", "");
  char *t = sign_ext(JWT_ALG_RS256, pem, "rsa-1", NULL, claims), *a = bearer(t);
  EVP_PKEY_free(other);
  free(pem);
  free(claims);
  free(t);
  return a;
}
/* Flips the upn in the payload, keeping header and signature. */
static char *tamper_payload(char *t)
{
  char *payload = segment_json(t, 1), *header = segment_json(t, 0), *pos, *tok;
  pos = strstr(payload, "judy@");
  ck_assert_ptr_nonnull(pos);
  memcpy(pos, "mall@", 5);
  tok = assemble(header, payload, signature_of(t));
  free(payload);
  free(header);
  free(t);
  return tok;
}
static char *ext_tampered_rs256(void)
{
  char *t = tamper_payload(ext_token("", "")), *a = bearer(t);
  free(t);
  return a;
}
static char *ext_tampered_es256(void)
{
  char *t = tamper_payload(ext_es256_token("", "")), *a = bearer(t);
  free(t);
  return a;
}
static char *ext_es256_signature_flipped(void)
{
  char *t = ext_es256_token("", ""), *sig = strrchr(t, '.') + 10, *a;
  *sig = *sig == 'A' ? 'B' : 'A';
  a = bearer(t);
  free(t);
  return a;
}
static char *ext_es256_der_signature(void)
{
  /* The same signature in DER form (what OpenSSL makes), not JWS's r || s. */
  char *t = ext_es256_token("", ""), *dot = strrchr(t, '.'), *payload = segment_json(t, 1);
  size_t n = 0;
  unsigned char raw[64], *der = NULL;
  const char *sig = dot + 1;
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned acc = 0;
  int bits = 0, der_len;
  for (; *sig; sig++) {
    acc = (acc << 6) | (unsigned)(strchr(alphabet, *sig) - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      ck_assert_uint_lt(n, sizeof(raw));
      raw[n++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  ck_assert_uint_eq(n, 64);
  ECDSA_SIG *es = ECDSA_SIG_new();
  ck_assert_int_eq(ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)), 1);
  der_len = i2d_ECDSA_SIG(es, &der);
  ck_assert_int_gt(der_len, 0);
  char *der_b64 = b64url(der, (size_t)der_len), *header = segment_json(t, 0);
  char *tok = assemble(header, payload, der_b64), *a = bearer(tok);
  ECDSA_SIG_free(es);
  OPENSSL_free(der);
  free(der_b64);
  free(header);
  free(payload);
  free(tok);
  free(t);
  return a;
}
static char *ext_alg_none(void)
{
  char *claims = ext_claims("", ""),
       *t = assemble("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", claims, "");
  char *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_alg_none_upper(void)
{
  return bearer_with_header(ext_token("", ""), "{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}");
}
static char *ext_alg_rs384(void)
{
  return bearer_with_header(ext_token("", ""), "{\"alg\":\"RS384\",\"kid\":\"rsa-1\"}");
}
static char *ext_alg_ps256(void)
{
  return bearer_with_header(ext_token("", ""), "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}");
}
static char *ext_es256_claiming_rs256(void)
{
  /* An ES256 signature presented as RS256 with the EC key's kid. */
  return bearer_with_header(ext_es256_token("", ""), "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}");
}
static char *ext_hs256_public_pem(void)
{
  /* The classic confusion: the RSA public key (PEM) as the HMAC secret. */
  char *claims = ext_claims("", ""),
       *t = sign_ext(JWT_ALG_HS256, rsa_pub_pem, "rsa-1", NULL, claims), *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_hs256_jwk_text(void)
{
  /* The JWK as the JWKS file holds it, and its modulus, as HMAC secrets. */
  char *claims = ext_claims("", ""), *t = sign_ext(JWT_ALG_HS256, rsa_jwk, NULL, NULL, claims);
  char *a = bearer(t);
  free(t);
  free(claims);
  return a;
}
static char *ext_hs256_modulus(void)
{
  char *n = param_b64(rsa_key, OSSL_PKEY_PARAM_RSA_N, 0), *claims = ext_claims("", "");
  char *t = sign_ext(JWT_ALG_HS256, n, "rsa-1", NULL, claims), *a = bearer(t);
  free(t);
  free(claims);
  free(n);
  return a;
}
static char *ext_crit(void)
{
  char *claims = ext_claims("", "");
  char *t = sign_ext(JWT_ALG_RS256, rsa_pem, "rsa-1", "{\"crit\":[\"exp\"]}", claims);
  char *a = bearer(t);
  free(t);
  free(claims);
  return a;
}

static const struct {
  const char *label;
  make_auth_fn make;
  int64_t now;
  const char *message;
} ext_refusals[] = {
    {"wrong issuer", ext_wrong_iss, T0, MSG_ISSUER},
    {"issuer with a trailing slash", ext_iss_prefix, T0, MSG_ISSUER},
    {"no issuer", ext_no_iss, T0, MSG_LACKS("iss")},
    {"issuer a number", ext_iss_number, T0,
     "Access token validation failure. The 'iss' claim is malformed."},
    {"wrong audience", ext_wrong_aud, T0, MSG_AUDIENCE},
    {"Graph audience when AUD is required", ext_graph_aud, T0, MSG_AUDIENCE},
    {"audience array without AUD", ext_aud_array_without, T0, MSG_AUDIENCE},
    {"empty audience array", ext_aud_empty_array, T0, MSG_AUDIENCE},
    {"no audience", ext_no_aud, T0, MSG_LACKS("aud")},
    {"no azp nor appid", ext_no_azp, T0, MSG_LACKS("appid")},
    {"no tid", ext_no_tid, T0, MSG_LACKS("tid")},
    {"expired beyond the skew", ext_good, T0 + 3600 + SKEW, MSG_EXPIRED},
    {"long expired", ext_good, T0 + 86400, MSG_EXPIRED},
    {"nbf beyond the skew", ext_nbf_future, T0 + 100 - SKEW - 1, MSG_NOT_YET},
    {"unknown kid", ext_unknown_kid, T0,
     "Access token validation failure. The signing key 'nope' is unknown."},
    {"kid of an EC key on RS256", ext_kid_of_other_type, T0,
     "Access token validation failure. The signing key 'ec-1' is not an RSA key; it cannot "
     "verify RS256 tokens."},
    {"kid a number", ext_kid_number, T0,
     "Access token validation failure. The token header's 'kid' is malformed."},
    {"untrusted key named rsa-1", ext_untrusted_key, T0, MSG_SIG},
    {"tampered payload, RS256", ext_tampered_rs256, T0, MSG_SIG},
    {"tampered payload, ES256", ext_tampered_es256, T0, MSG_SIG},
    {"tampered signature, ES256", ext_es256_signature_flipped, T0, MSG_SIG},
    {"DER signature, ES256", ext_es256_der_signature, T0, MSG_SIG},
    {"alg none", ext_alg_none, T0, MSG_UNSIGNED},
    {"alg NONE", ext_alg_none_upper, T0, MSG_UNSIGNED},
    {"RS384", ext_alg_rs384, T0, MSG_UNSUPPORTED("RS384")},
    {"PS256", ext_alg_ps256, T0, MSG_UNSUPPORTED("PS256")},
    {"ES256 signature presented as RS256", ext_es256_claiming_rs256, T0,
     "Access token validation failure. The signing key 'ec-1' is not an RSA key; it cannot "
     "verify RS256 tokens."},
    {"HS256 with the public key PEM as secret", ext_hs256_public_pem, T0, MSG_SIG},
    {"HS256 with the JWK text as secret", ext_hs256_jwk_text, T0, MSG_SIG},
    {"HS256 with the modulus as secret", ext_hs256_modulus, T0, MSG_SIG},
    {"crit header", ext_crit, T0, MSG_CRIT},
};

START_TEST(test_ext_refusals)
{
  char *auth = ext_refusals[_i].make();
  expect_refusal(ext_refusals[_i].label, keyring, auth, ext_refusals[_i].now,
                 ext_refusals[_i].message);
  free(auth);
}
END_TEST

/* JWKS files that cannot be trusted: the message names the file and the problem, and the keys
 * trusted before stay. */
static const struct {
  const char *text; /* NULL: no file */
  const char *message;
} bad_jwks[] = {
    {NULL, "cannot open it: No such file or directory"},
    {"", "not valid JSON"},
    {"{\"keys\":[", "not valid JSON (line 1"},
    {"{\"keys\":[],\"keys\":[]}", "not valid JSON"},
    {"[]", "not a JWK set"},
    {"{\"keys\":{}}", "not a JWK set"},
    {"{\"keys\":[]}", "no usable signing key"},
    {"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "no usable signing key"},
    {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}]}",
     "no usable signing key"},
    {"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}]}", "no usable signing key"},
    {"{\"keys\":[7]}", "key 1 is not a JSON object"},
    {"{\"keys\":[{\"n\":\"AQAB\"}]}", "key 1: 'kty' is missing"},
    {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":5}]}", "key 1: 'kid' is not a string"},
    {"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"e\":\"AQAB\"}]}",
     "key 1 (kid 'k'): 'n' is missing or not a string"},
    {"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"a+b/\",\"e\":\"AQAB\"}]}",
     "'n' is not unpadded base64url"},
    {"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
     "'n' and 'e' are not a valid RSA public key"},
    {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQID\",\"y\":\"AQID\"}]}",
     "'x' and 'y' of a P-256 key are 32 bytes each"},
    {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":1,\"x\":\"AQID\",\"y\":\"AQID\"}]}",
     "'use', 'alg' and 'crv' must be strings"},
    {"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
     "\"x\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
     "\"y\":\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI\"}]}",
     "'x' and 'y' are not a point of P-256"},
};

START_TEST(test_jwks_refused)
{
  up_error_t err = {0};
  size_t n = 99;
  char *path;
  if (bad_jwks[_i].text)
    path = write_data_file("bad.json", bad_jwks[_i].text);
  else
    path = xasprintf("%s/missing.json", data_dir);
  ck_assert_int_eq(up_keyring_trust_jwks(keyring, path, ISS, AUD, &n, &err), UP_INVALID);
  ck_assert_uint_eq(n, 0);
  ck_assert_msg(strstr(err.message, bad_jwks[_i].message) != NULL, "case %d: %s", _i, err.message);
  ck_assert_msg(strstr(err.message, path) != NULL, "case %d: %s", _i, err.message);
  free(path);
  /* The set trusted before is still the one in use. */
  up_principal_t p = {0};
  char *t = ext_token("", "");
  verify_ok(keyring, t, T0, &p);
  up_principal_fini(&p);
  free(t);
}
END_TEST

/* Keys that are skipped rather than refused; a set of only those is refused. */
START_TEST(test_jwks_skipped_keys)
{
  up_error_t err = {0};
  size_t n = 0;
  char *short_only = xasprintf("{\"keys\":[%s]}", rsa_short_jwk);
  char *rs512 = jwk_of(rsa_key, "rsa-512", ",\"alg\":\"RS512\"");
  char *es_as_rs = jwk_of(ec_key, "ec-rs", ",\"alg\":\"RS256\"");
  char *mixed = xasprintf("%s,%s,%s,%s,{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}", rsa_short_jwk, rs512,
                          es_as_rs, ec_jwk);
  char *path = write_data_file("short.json", short_only);
  ck_assert_int_eq(up_keyring_trust_jwks(keyring, path, NULL, NULL, &n, &err), UP_INVALID);
  ck_assert_msg(strstr(err.message, "no usable signing key") != NULL, "%s", err.message);
  ck_assert_uint_eq(trust_keys(keyring, mixed, ISS, AUD), 1); /* ec-1 only */
  /* A token of the short key, named by kid, is from an unknown key. */
  char *claims = ext_claims("", "");
  char *pem = pem_of(rsa_short_key, true), *t = sign_ext(JWT_ALG_RS256, pem, "short", NULL, claims);
  char *auth = bearer(t);
  expect_refusal("short RSA key", keyring, auth, T0,
                 "Access token validation failure. The signing key 'short' is unknown.");
  free(auth);
  free(t);
  t = sign_ext(JWT_ALG_RS256, pem, NULL, NULL, claims);
  auth = bearer(t);
  expect_refusal("no RSA key at all", keyring, auth, T0,
                 "Access token validation failure. No trusted key verifies RS256 tokens.");
  free(auth);
  free(t);
  free(pem);
  free(claims);
  free(path);
  free(mixed);
  free(es_as_rs);
  free(rs512);
  free(short_only);
}
END_TEST

/* Private key members are ignored: only the public part is used. */
START_TEST(test_jwks_private_members_ignored)
{
  up_principal_t p = {0};
  char *with_d = jwk_of(ec_key, "ec-1", ",\"d\":\"c2VjcmV0\"");
  char *t = ext_es256_token("", "");
  ck_assert_uint_eq(trust_keys(keyring, with_d, ISS, AUD), 1);
  verify_ok(keyring, t, T0, &p);
  up_principal_fini(&p);
  free(t);
  free(with_d);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */

static Suite *auth_suite(void)
{
  Suite *s = suite_create("auth");
  TCase *keys = tcase_create("keyring"), *core = tcase_create("core"),
        *errors = tcase_create("errors"), *external = tcase_create("external");

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
  tcase_add_test(core, test_clock_skew);
  tcase_add_test(core, test_verified_token_cache);
  suite_add_tcase(s, core);

  tcase_add_unchecked_fixture(external, make_keys, free_keys);
  tcase_add_checked_fixture(external, ext_setup, teardown);
  tcase_add_test(external, test_ext_rs256_user);
  tcase_add_test(external, test_ext_es256_app);
  tcase_add_test(external, test_ext_signed_by_openssl);
  tcase_add_test(external, test_ext_app_inferred);
  tcase_add_test(external, test_ext_without_kid);
  tcase_add_test(external, test_ext_local_tokens_unchanged);
  tcase_add_test(external, test_ext_clock_skew);
  tcase_add_test(external, test_ext_default_issuer_audience);
  tcase_add_test(external, test_ext_not_configured);
  tcase_add_test(external, test_ext_use_enc_ignored);
  tcase_add_loop_test(external, test_ext_refusals, 0,
                      (int)(sizeof(ext_refusals) / sizeof(ext_refusals[0])));
  tcase_add_loop_test(external, test_jwks_refused, 0,
                      (int)(sizeof(bad_jwks) / sizeof(bad_jwks[0])));
  tcase_add_test(external, test_jwks_skipped_keys);
  tcase_add_test(external, test_jwks_private_members_ignored);
  tcase_set_timeout(external, 60);
  suite_add_tcase(s, external);

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
