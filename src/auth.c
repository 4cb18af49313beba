/* auth.c - bearer tokens: the data folder's signing key, issuing and verifying HS256 JWTs.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/auth.h"
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_SIZE          32    /* HS256 key, bytes */
#define MAX_AUTHORIZATION 16384 /* longest Authorization value we look at */
#define DEFAULT_LIFETIME  3600  /* seconds */
#define AUDIENCE          "https://graph.microsoft.com"
#define GRAPH_APP_ID      "00000003-0000-0000-c000-000000000000"
#define TOKEN_CODE        "InvalidAuthenticationToken"

#define MSG_EMPTY     "Access token is empty."
#define MSG_SCHEME    "Access token validation failure. The authorization scheme must be Bearer."
#define MSG_FORMAT    "Invalid JWT token. The token is not in JWS compact format."
#define MSG_SIGNATURE "Access token validation failure. Invalid signature."
#define MSG_EXPIRED   "Lifetime validation failed, the token is expired."
#define MSG_NOT_YET   "Lifetime validation failed, the token is not yet valid."

struct up_keyring {
  unsigned char key[KEY_SIZE]; /* HS256 secret; wiped on free */
};

/* A growable list of owned strings. */
typedef struct strv {
  char **items;
  size_t n;
} strv_t;

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

static void strv_free(char **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

static bool strv_add(strv_t *v, const char *s, size_t len)
{
  char **grown = NULL, *copy = NULL;
  if (v->n == SIZE_MAX / sizeof(char *) - 1)
    return false;
  if (!(copy = strndup(s, len)))
    return false;
  if (!(grown = realloc(v->items, (v->n + 1) * sizeof(char *)))) {
    free(copy);
    return false;
  }
  v->items = grown;
  v->items[v->n++] = copy;
  return true;
}

/* Splits s on spaces (runs of spaces count as one) into v; false on allocation failure. */
static bool split_spaces(const char *s, strv_t *v)
{
  while (s && *s) {
    size_t len;
    while (*s == ' ')
      s++;
    len = strcspn(s, " ");
    if (len > 0 && !strv_add(v, s, len))
      return false;
    s += len;
  }
  return true;
}

static bool contains_ci(char *const *v, size_t n, const char *s)
{
  for (size_t i = 0; i < n; i++)
    if (up_str_ieq(v[i], s))
      return true;
  return false;
}

static bool write_all(int fd, const unsigned char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Reads at most n bytes (stops at end of file); returns the count, or -1 on error. */
static ssize_t read_up_to(int fd, unsigned char *p, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* ------------------------------------------------------------------------------------------ */
/* Keyring                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Reads the key file at path into key. UP_NOT_FOUND (no message) when it does not exist. */
static up_status_t read_key(const char *path, unsigned char key[KEY_SIZE], up_error_t *err)
{
  unsigned char buf[KEY_SIZE + 1];
  struct stat st;
  ssize_t got;
  up_status_t st_ret = UP_OK;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0) {
    if (errno == ENOENT)
      return UP_NOT_FOUND;
    return up_error_set(err, UP_INTERNAL, NULL, "cannot open signing key %s: %s", path,
                        strerror(errno));
  }
  /* A regular file, private to its owner. */
  if (fstat(fd, &st) != 0) {
    st_ret = up_error_set(err, UP_INTERNAL, NULL, "cannot stat signing key %s: %s", path,
                          strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    st_ret = up_error_set(err, UP_INTERNAL, NULL, "signing key %s is not a regular file", path);
    goto out;
  }
  if (st.st_mode & 077) {
    if (fchmod(fd, 0600) != 0) {
      st_ret = up_error_set(err, UP_INTERNAL, NULL,
                            "signing key %s is accessible to other users (mode %03o) and cannot "
                            "be restricted: %s; run chmod 600 on it",
                            path, (unsigned)(st.st_mode & 0777), strerror(errno));
      goto out;
    }
    up_log(UP_LOG_WARN, "signing key %s was accessible to other users (mode %03o); set to 600",
           path, (unsigned)(st.st_mode & 0777));
  }
  /* Exactly KEY_SIZE bytes: read one more to detect a longer file. */
  got = read_up_to(fd, buf, sizeof(buf));
  if (got < 0) {
    st_ret = up_error_set(err, UP_INTERNAL, NULL, "cannot read signing key %s: %s", path,
                          strerror(errno));
    goto out;
  }
  if (got != KEY_SIZE) {
    st_ret = up_error_set(err, UP_INTERNAL, NULL,
                          "signing key %s is damaged: it must hold exactly %d bytes (found %s%zd); "
                          "remove it to create a new key (issued tokens become invalid)",
                          path, KEY_SIZE, got > KEY_SIZE ? "more than " : "",
                          got > KEY_SIZE ? (ssize_t)KEY_SIZE : got);
    goto out;
  }
  memcpy(key, buf, KEY_SIZE);

out:
  explicit_bzero(buf, sizeof(buf));
  close(fd);
  return st_ret;
}

/* Creates path with fresh random bytes unless it appears concurrently: writes a private temp
 * file, then link()s it into place, so that the key file is either absent or complete.
 * *created tells whether this call's key is the one in place. */
static up_status_t create_key(const char *dir, const char *path, bool *created, up_error_t *err)
{
  unsigned char key[KEY_SIZE];
  char *tmp = NULL;
  int fd = -1, dfd = -1;
  bool tmp_exists = false;
  up_status_t st = UP_OK;

  if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, UP_KEY_FILE) < 0) {
    tmp = NULL;
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  /* 1. The temp file: 0600 whatever the umask, random bytes, on disk. */
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot create signing key in %s: %s", dir,
                      strerror(errno));
    goto out;
  }
  tmp_exists = true;
  if (fchmod(fd, 0600) != 0 || !up_random_bytes(key, sizeof(key)) ||
      !write_all(fd, key, sizeof(key)) || fsync(fd) != 0) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot write signing key in %s: %s", dir,
                      strerror(errno));
    goto out;
  }
  if (close(fd) != 0) {
    fd = -1;
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot write signing key in %s: %s", dir,
                      strerror(errno));
    goto out;
  }
  fd = -1;
  /* 2. Publish it; when another process was first, its key wins. */
  if (link(tmp, path) == 0) {
    *created = true;
  } else if (errno != EEXIST) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot create signing key %s: %s", path,
                      strerror(errno));
    goto out;
  }
  if (unlink(tmp) == 0)
    tmp_exists = false;
  /* 3. Make the new directory entries durable. */
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot sync directory %s: %s", dir, strerror(errno));
    goto out;
  }

out:
  explicit_bzero(key, sizeof(key));
  if (fd >= 0)
    close(fd);
  if (dfd >= 0)
    close(dfd);
  if (tmp_exists)
    unlink(tmp);
  free(tmp);
  return st;
}

up_status_t up_keyring_open(const char *data_dir, up_keyring_t **out, up_error_t *err)
{
  up_keyring_t *k = NULL;
  char *path = NULL;
  bool created = false;
  up_status_t st = UP_OK;

  if (out)
    *out = NULL;
  if (!data_dir || !*data_dir || !out)
    return up_error_set(err, UP_INTERNAL, NULL, "no data folder for the signing key");
  if (asprintf(&path, "%s/%s", data_dir, UP_KEY_FILE) < 0) {
    path = NULL;
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (!(k = calloc(1, sizeof(*k)))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  /* Read the key; when absent, create it and read again (whoever created it). */
  st = read_key(path, k->key, err);
  if (st == UP_NOT_FOUND) {
    st = create_key(data_dir, path, &created, err);
    if (st == UP_OK) {
      st = read_key(path, k->key, err);
      if (st == UP_NOT_FOUND)
        st =
            up_error_set(err, UP_INTERNAL, NULL, "signing key %s disappeared after creation", path);
      else if (st == UP_OK && created)
        up_log(UP_LOG_INFO, "created a new signing key %s", path);
    }
  }
  if (st != UP_OK)
    goto out;
  *out = k;
  k = NULL;

out:
  up_keyring_free(k);
  free(path);
  return st;
}

void up_keyring_free(up_keyring_t *k)
{
  if (!k)
    return;
  explicit_bzero(k->key, sizeof(k->key));
  free(k);
}

/* ------------------------------------------------------------------------------------------ */
/* Issuing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Adds the space-separated list s as a JSON array of strings under name. With as_roles, maps
 * directory role names to template ids; with as_guids, each item must be a GUID. */
static up_status_t add_list(json_t *claims, const char *name, const char *s, bool as_roles,
                            bool as_guids, up_error_t *err)
{
  strv_t v = {0};
  json_t *arr = NULL;
  up_status_t st = UP_OK;

  if (!split_spaces(s, &v) || !(arr = json_array())) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  for (size_t i = 0; i < v.n; i++) {
    const char *item = v.items[i];
    if (as_roles && up_str_ieq(item, "PrinterAdministrator")) {
      item = UP_ROLE_PRINTER_ADMIN;
    } else if (as_roles && up_str_ieq(item, "GlobalAdministrator")) {
      item = UP_ROLE_GLOBAL_ADMIN;
    } else if (as_roles && !up_uuid_is_valid(item)) {
      st = up_error_set(err, UP_INVALID, NULL,
                        "unknown directory role '%.100s' (known: PrinterAdministrator, "
                        "GlobalAdministrator, or a role template GUID)",
                        item);
      goto out;
    } else if (as_guids && !up_uuid_is_valid(item)) {
      st = up_error_set(err, UP_INVALID, NULL, "'%.100s' in %s is not a GUID", item, name);
      goto out;
    }
    if (as_roles || as_guids)
      up_ascii_lower(v.items[i]); /* item points at a constant or at v.items[i] */
    if (json_array_append_new(arr, json_string(item)) != 0) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
  }
  if (json_object_set_new(claims, name, arr) != 0) {
    arr = NULL;
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  arr = NULL;

out:
  json_decref(arr);
  strv_free(v.items, v.n);
  return st;
}

/* Joins the space-separated list s with single spaces into a new string. */
static char *normalize_spaces(const char *s)
{
  strv_t v = {0};
  char *joined = NULL;
  size_t len = 1;

  if (!split_spaces(s, &v))
    goto out;
  for (size_t i = 0; i < v.n; i++)
    len += strlen(v.items[i]) + 1;
  if (!(joined = malloc(len)))
    goto out;
  joined[0] = '\0';
  for (size_t i = 0; i < v.n; i++) {
    if (i > 0)
      strcat(joined, " ");
    strcat(joined, v.items[i]);
  }

out:
  strv_free(v.items, v.n);
  return joined;
}

static bool set_str(json_t *o, const char *name, const char *value)
{
  return json_object_set_new(o, name, json_string(value)) == 0;
}

static bool set_int(json_t *o, const char *name, int64_t value)
{
  return json_object_set_new(o, name, json_integer((json_int_t)value)) == 0;
}

up_status_t up_token_issue(const up_keyring_t *k, const up_token_spec_t *spec, char **out,
                           up_error_t *err)
{
  char tid[UP_ID_SIZE], oid[UP_ID_SIZE];
  char *lower_upn = NULL, *scp = NULL, *app_name = NULL, *claims_text = NULL, *token = NULL;
  json_t *claims = NULL;
  jwt_t *jwt = NULL;
  const char *app_id, *name;
  bool is_app;
  int64_t now, lifetime;
  char iss[64];
  up_status_t st = UP_OK;

  if (out)
    *out = NULL;
  if (!k || !spec || !out)
    return up_error_set(err, UP_INTERNAL, NULL, "up_token_issue: missing argument");

  /* 1. Check the spec and fill in the defaults. */
  is_app = spec->upn == NULL;
  if (!is_app && !*spec->upn)
    return up_error_set(err, UP_INVALID, NULL, "the user principal name is empty");
  if (is_app && (!spec->app_id || !*spec->app_id))
    return up_error_set(err, UP_INVALID, NULL, "an application token needs an app id");
  if (is_app && spec->roles && strspn(spec->roles, " ") != strlen(spec->roles))
    return up_error_set(err, UP_INVALID, NULL,
                        "directory roles apply to user (delegated) tokens only");
  app_id = spec->app_id && *spec->app_id ? spec->app_id : UP_DEFAULT_CLIENT_APP;
  if (!up_uuid_is_valid(spec->tenant_id ? spec->tenant_id : UP_DEFAULT_TENANT))
    return up_error_set(err, UP_INVALID, NULL, "tenant '%.100s' is not a GUID", spec->tenant_id);
  up_strlcpy(tid, spec->tenant_id ? spec->tenant_id : UP_DEFAULT_TENANT, sizeof(tid));
  up_ascii_lower(tid);
  if (spec->oid && !up_uuid_is_valid(spec->oid))
    return up_error_set(err, UP_INVALID, NULL, "object id '%.100s' is not a GUID", spec->oid);
  now = spec->now != 0 ? spec->now : (int64_t)time(NULL);
  lifetime = spec->expires_in > 0 ? spec->expires_in : DEFAULT_LIFETIME;
  if (now < 0 || lifetime > INT64_MAX - now)
    return up_error_set(err, UP_INVALID, NULL, "token lifetime out of range");

  if (spec->oid) {
    up_strlcpy(oid, spec->oid, sizeof(oid));
    up_ascii_lower(oid);
  } else if (!is_app) {
    if (!(lower_upn = strdup(spec->upn))) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    up_ascii_lower(lower_upn);
    up_uuid_from_name(tid, lower_upn, oid);
  } else {
    if (asprintf(&app_name, "app:%s", app_id) < 0) {
      app_name = NULL;
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    up_uuid_from_name(tid, app_name, oid);
    free(app_name);
    app_name = NULL;
  }
  name = spec->name;
  if (!name && !is_app) {
    name = spec->upn;
  } else if (!name) {
    if (asprintf(&app_name, "app %s", app_id) < 0) {
      app_name = NULL;
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    name = app_name;
  }
  snprintf(iss, sizeof(iss), "https://sts.windows.net/%s/", tid);

  /* 2. The claims, shaped like an Entra ID v1 access token. */
  if (!(claims = json_object()) || !set_str(claims, "aud", AUDIENCE) ||
      !set_str(claims, "iss", iss) || !set_int(claims, "iat", now) ||
      !set_int(claims, "nbf", now) || !set_int(claims, "exp", now + lifetime) ||
      !set_str(claims, "tid", tid) || !set_str(claims, "oid", oid) ||
      !set_str(claims, "appid", app_id) || !set_str(claims, "idtyp", is_app ? "app" : "user") ||
      !set_str(claims, "ver", "1.0") || !set_str(claims, "name", name)) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (!is_app) {
    if (!(scp = normalize_spaces(spec->scopes)) || !set_str(claims, "upn", spec->upn) ||
        !set_str(claims, "unique_name", spec->upn) || !set_str(claims, "scp", scp)) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    if (spec->roles && (st = add_list(claims, "wids", spec->roles, true, false, err)) != UP_OK)
      goto out;
  } else if ((st = add_list(claims, "roles", spec->scopes, false, false, err)) != UP_OK) {
    goto out;
  }
  if (spec->groups && (st = add_list(claims, "groups", spec->groups, false, true, err)) != UP_OK)
    goto out;

  /* 3. Sign. libjwt writes the header {"alg":"HS256","typ":"JWT"}. */
  if (!(claims_text = json_dumps(claims, JSON_COMPACT))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, claims_text) != 0 ||
      jwt_set_alg(jwt, JWT_ALG_HS256, k->key, KEY_SIZE) != 0 || !(token = jwt_encode_str(jwt))) {
    st = up_error_set(err, UP_INTERNAL, NULL, "cannot sign the token");
    goto out;
  }
  *out = token;
  token = NULL;

out:
  free(token);
  jwt_free(jwt);
  free(claims_text);
  json_decref(claims);
  free(scp);
  free(app_name);
  free(lower_upn);
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Verifying                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int b64url_value(unsigned char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/* True when s[0..len) is canonical unpadded base64url: only the URL alphabet, no impossible
 * length, and zero bits after the last byte (so every byte string has exactly one encoding). */
static bool b64url_is_canonical(const char *s, size_t len)
{
  int last;
  for (size_t i = 0; i < len; i++)
    if (b64url_value((unsigned char)s[i]) < 0)
      return false;
  if (len % 4 == 1)
    return false;
  if (len == 0)
    return true;
  last = b64url_value((unsigned char)s[len - 1]);
  if (len % 4 == 2)
    return (last & 0x0f) == 0;
  if (len % 4 == 3)
    return (last & 0x03) == 0;
  return true;
}

/* Decodes canonical base64url s[0..len) into a new buffer (NUL-terminated); NULL on failure. */
static unsigned char *b64url_decode(const char *s, size_t len, size_t *out_len)
{
  unsigned char *buf;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;

  if (!b64url_is_canonical(s, len) || !(buf = malloc(len / 4 * 3 + 3)))
    return NULL;
  for (size_t i = 0; i < len; i++) {
    acc = (acc << 6) | (uint32_t)b64url_value((unsigned char)s[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      buf[o++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  buf[o] = '\0';
  *out_len = o;
  return buf;
}

/* Decodes one token segment as a JSON object; NULL when it is not one. */
static json_t *decode_segment(const char *s, size_t len)
{
  size_t n = 0;
  unsigned char *raw = b64url_decode(s, len, &n);
  json_t *v = NULL;
  if (!raw)
    return NULL;
  v = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
  free(raw);
  if (v && !json_is_object(v)) {
    json_decref(v);
    v = NULL;
  }
  return v;
}

static up_status_t refuse(up_error_t *err, const char *msg)
{
  return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE, "%s", msg);
}

static up_status_t refuse_claim(up_error_t *err, const char *claim, bool missing)
{
  if (missing)
    return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                        "Access token validation failure. The token lacks the '%s' claim.", claim);
  return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                      "Access token validation failure. The '%s' claim is malformed.", claim);
}

/* Reads a NumericDate claim (integer, or a real as JSON allows). 0: absent; -1: wrong type. */
static int get_time_claim(json_t *claims, const char *name, int64_t *out)
{
  json_t *v = json_object_get(claims, name);
  double d;
  if (!v)
    return 0;
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return 1;
  }
  if (!json_is_real(v))
    return -1;
  d = json_real_value(v);
  if (!(d > -9.0e18 && d < 9.0e18))
    return -1;
  *out = (int64_t)d;
  return 1;
}

/* Reads an optional string claim. 0: absent; -1: not a string; 1: *out set (borrowed). */
static int get_str_claim(json_t *claims, const char *name, const char **out)
{
  json_t *v = json_object_get(claims, name);
  if (!v)
    return 0;
  if (!json_is_string(v))
    return -1;
  *out = json_string_value(v);
  return 1;
}

/* Copies an optional array-of-strings claim into *items and *n. false when it is not one, or on
 * allocation failure (*nomem). */
static bool get_list_claim(json_t *claims, const char *name, char ***items, size_t *n, bool *nomem)
{
  json_t *arr = json_object_get(claims, name), *item;
  strv_t v = {0};
  size_t i;
  bool ok = false;

  if (!arr)
    return true;
  if (!json_is_array(arr))
    goto out;
  json_array_foreach(arr, i, item)
  {
    if (!json_is_string(item))
      goto out;
    if (!strv_add(&v, json_string_value(item), json_string_length(item))) {
      *nomem = true;
      goto out;
    }
  }
  *items = v.items;
  *n = v.n;
  v.items = NULL;
  v.n = 0;
  ok = true;

out:
  strv_free(v.items, v.n);
  return ok;
}

/* Fills p from the verified claims. */
static up_status_t fill_principal(json_t *claims, int64_t now, up_principal_t *p, up_error_t *err)
{
  static const char *const list_names[] = {"roles", "wids", "groups"};
  const char *tid = NULL, *oid = NULL, *appid = NULL, *idtyp = NULL, *upn = NULL, *name = NULL;
  const char *scp = NULL, *aud = NULL;
  int64_t exp = 0, nbf = 0, iat = 0;
  int r;
  bool nomem = false;
  strv_t scopes = {0};

  /* Lifetime. */
  if ((r = get_time_claim(claims, "exp", &exp)) <= 0)
    return refuse_claim(err, "exp", r == 0);
  if (exp <= now)
    return refuse(err, MSG_EXPIRED);
  if ((r = get_time_claim(claims, "nbf", &nbf)) < 0)
    return refuse_claim(err, "nbf", false);
  if (r > 0 && nbf > now)
    return refuse(err, MSG_NOT_YET);
  if (get_time_claim(claims, "iat", &iat) < 0)
    return refuse_claim(err, "iat", false);

  /* Audience, when given: Microsoft Graph. */
  if ((r = get_str_claim(claims, "aud", &aud)) < 0)
    return refuse_claim(err, "aud", false);
  if (r > 0 && strcmp(aud, AUDIENCE) != 0 && strcmp(aud, AUDIENCE "/") != 0 &&
      strcmp(aud, GRAPH_APP_ID) != 0)
    return refuse(err, "Access token validation failure. Invalid audience.");

  /* Identity: tid, oid, appid are required. */
  if ((r = get_str_claim(claims, "tid", &tid)) <= 0)
    return refuse_claim(err, "tid", r == 0);
  if (!up_uuid_is_valid(tid))
    return refuse_claim(err, "tid", false);
  if ((r = get_str_claim(claims, "oid", &oid)) <= 0)
    return refuse_claim(err, "oid", r == 0);
  if (!up_uuid_is_valid(oid))
    return refuse_claim(err, "oid", false);
  if ((r = get_str_claim(claims, "appid", &appid)) <= 0 || !*appid)
    return refuse_claim(err, "appid", r == 0);
  if (get_str_claim(claims, "idtyp", &idtyp) < 0)
    return refuse_claim(err, "idtyp", false);
  if (get_str_claim(claims, "scp", &scp) < 0)
    return refuse_claim(err, "scp", false);
  if (get_str_claim(claims, "upn", &upn) < 0)
    return refuse_claim(err, "upn", false);
  if (get_str_claim(claims, "name", &name) < 0)
    return refuse_claim(err, "name", false);

  /* Copy out. */
  up_strlcpy(p->tenant_id, tid, sizeof(p->tenant_id));
  up_ascii_lower(p->tenant_id);
  up_strlcpy(p->oid, oid, sizeof(p->oid));
  up_ascii_lower(p->oid);
  p->is_app = idtyp ? strcmp(idtyp, "app") == 0 : scp == NULL;
  p->issued_at = iat;
  p->expires_at = exp;
  if (!(p->app_id = strdup(appid)) || (name && !(p->name = strdup(name))) ||
      (!p->is_app && upn && !(p->upn = strdup(upn))))
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  if (!p->is_app) {
    if (!split_spaces(scp, &scopes)) {
      strv_free(scopes.items, scopes.n);
      return up_error_set(err, UP_NOMEM, NULL, "out of memory");
    }
    p->scopes = scopes.items;
    p->n_scopes = scopes.n;
  }
  for (size_t i = 0; i < sizeof(list_names) / sizeof(list_names[0]); i++) {
    char ***items = i == 0 ? &p->roles : i == 1 ? &p->wids : &p->groups;
    size_t *n = i == 0 ? &p->n_roles : i == 1 ? &p->n_wids : &p->n_groups;
    if (!get_list_claim(claims, list_names[i], items, n, &nomem))
      return nomem ? up_error_set(err, UP_NOMEM, NULL, "out of memory")
                   : refuse_claim(err, list_names[i], false);
  }
  return UP_OK;
}

up_status_t up_token_verify(const up_keyring_t *k, const char *authorization, int64_t now,
                            up_principal_t *out, up_error_t *err)
{
  const char *s = authorization, *token, *dot1, *dot2;
  size_t len;
  char *copy = NULL;
  json_t *header = NULL, *claims = NULL;
  jwt_t *jwt = NULL;
  const char *alg = NULL;
  up_status_t st = UP_OK;

  if (out)
    memset(out, 0, sizeof(*out));
  if (!k || !out)
    return up_error_set(err, UP_INTERNAL, NULL, "up_token_verify: missing argument");
  if (now == 0)
    now = (int64_t)time(NULL);

  /* 1. "Bearer" SP+ token, bounded. */
  if (!s)
    return refuse(err, MSG_EMPTY);
  if (strnlen(s, MAX_AUTHORIZATION + 1) > MAX_AUTHORIZATION)
    return refuse(err, "Access token validation failure. The token is too long.");
  while (*s == ' ' || *s == '\t')
    s++;
  if (!*s)
    return refuse(err, MSG_EMPTY);
  if (!up_str_nieq(s, "Bearer", 6) || (s[6] != ' ' && s[6] != '\0'))
    return refuse(err, MSG_SCHEME);
  token = s + 6;
  while (*token == ' ')
    token++;
  len = strlen(token);
  while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
    len--;
  if (len == 0)
    return refuse(err, MSG_EMPTY);

  /* 2. JWS compact form: three canonical base64url segments, JSON header and payload. */
  dot1 = memchr(token, '.', len);
  dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
  if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) ||
      !b64url_is_canonical(dot2 + 1, len - (size_t)(dot2 + 1 - token)) ||
      !(header = decode_segment(token, (size_t)(dot1 - token))) ||
      !(claims = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1)))) {
    st = refuse(err, MSG_FORMAT);
    goto out;
  }

  /* 3. Only HS256, decided here and not by the library, so that "none" can never pass. */
  if (get_str_claim(header, "alg", &alg) <= 0 || strcmp(alg, "HS256") != 0 ||
      (size_t)(token + len - (dot2 + 1)) != 43) {
    st = refuse(err, MSG_SIGNATURE);
    goto out;
  }

  /* 4. The signature, by libjwt over the exact bytes decoded above. */
  if (!(copy = strndup(token, len))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (jwt_decode(&jwt, copy, k->key, KEY_SIZE) != 0 || !jwt || jwt_get_alg(jwt) != JWT_ALG_HS256) {
    st = refuse(err, MSG_SIGNATURE);
    goto out;
  }

  /* 5. Claims: claims was decoded from the payload segment whose signature just verified. */
  st = fill_principal(claims, now, out, err);

out:
  if (st != UP_OK)
    up_principal_fini(out);
  jwt_free(jwt);
  free(copy);
  json_decref(claims);
  json_decref(header);
  return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The principal                                                                               */
/* ------------------------------------------------------------------------------------------ */

void up_principal_fini(up_principal_t *p)
{
  if (!p)
    return;
  free(p->upn);
  free(p->name);
  free(p->app_id);
  strv_free(p->scopes, p->n_scopes);
  strv_free(p->roles, p->n_roles);
  strv_free(p->wids, p->n_wids);
  strv_free(p->groups, p->n_groups);
  memset(p, 0, sizeof(*p));
}

bool up_principal_has_scope(const up_principal_t *p, const char *scope)
{
  if (!p || !scope || !*scope)
    return false;
  if (p->is_app)
    return contains_ci(p->roles, p->n_roles, scope);
  return contains_ci(p->scopes, p->n_scopes, scope);
}

bool up_principal_is_printer_admin(const up_principal_t *p)
{
  if (!p)
    return false;
  return contains_ci(p->wids, p->n_wids, UP_ROLE_PRINTER_ADMIN) ||
         contains_ci(p->wids, p->n_wids, UP_ROLE_GLOBAL_ADMIN);
}
