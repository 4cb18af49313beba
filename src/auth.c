/* auth.c - bearer tokens: the data folder's signing key, issuing and verifying HS256 JWTs, and
 * verifying RS256/ES256 JWTs of an external identity provider with the keys of a JWKS file.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/auth.h"
#include "uprintd/log.h"
#include "uprintd/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <limits.h>
#include <pthread.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
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
#define MAX_JWKS_SIZE     (1024 * 1024) /* largest JWKS file, bytes */
#define MIN_RSA_BITS      2048
#define EC_COORD_SIZE     32 /* P-256: bytes of x, y, r and s */

#define MSG_EMPTY     "Access token is empty."
#define MSG_SCHEME    "Access token validation failure. The authorization scheme must be Bearer."
#define MSG_FORMAT    "Invalid JWT token. The token is not in JWS compact format."
#define MSG_SIGNATURE "Access token validation failure. Invalid signature."
#define MSG_EXPIRED   "Lifetime validation failed, the token is expired."
#define MSG_NOT_YET   "Lifetime validation failed, the token is not yet valid."
#define MSG_NO_ALG    "Access token validation failure. The token header lacks the 'alg' member."
#define MSG_UNSIGNED                                                                               \
  "Access token validation failure. Unsigned tokens (alg 'none') are not accepted."
#define MSG_CRIT                                                                                   \
  "Access token validation failure. The token header has critical extensions ('crit') that are "   \
  "not supported."
#define MSG_KID      "Access token validation failure. The token header's 'kid' is malformed."
#define MSG_AUDIENCE "Access token validation failure. Invalid audience."
#define MSG_ISSUER   "Access token validation failure. Invalid issuer."

/* A trusted public key of an external identity provider. */
typedef enum { JWK_RSA, JWK_EC } jwk_type_t;

typedef struct jwk {
  jwk_type_t type; /* RSA verifies RS256, EC (P-256) verifies ES256 */
  char *kid;       /* NULL when the JWK has none */
  EVP_PKEY *pkey;
} jwk_t;

/* Tokens verified lately: clients send the same bearer token with every request, so its
 * signature and claims are checked once and the principal reused while it is valid. A slot is
 * picked by the token's hash and holds the whole token, compared in full. */
#define CACHE_SLOTS 64
typedef struct cached_token {
  uint64_t hash;
  char *token; /* NULL: empty slot */
  size_t len;
  int64_t exp;         /* the token's exp: checked again on every use, with the leeway */
  int64_t verified_at; /* a use at an earlier time (a caller's own clock) verifies afresh */
  up_principal_t principal;
} cached_token_t;

typedef struct token_cache {
  pthread_mutex_t lock;
  cached_token_t slots[CACHE_SLOTS];
  unsigned long hits; /* tests */
} token_cache_t;

struct up_keyring {
  unsigned char key[KEY_SIZE]; /* HS256 secret; wiped on free */
  token_cache_t *cache;        /* mutable through a const keyring: a cache, not configuration */
  unsigned clock_skew;         /* leeway on exp and nbf, seconds */
  jwk_t *jwks;                 /* trusted external keys (none: RS256/ES256 are refused) */
  size_t n_jwks;
  char *issuer;   /* required iss of external tokens, or NULL */
  char *audience; /* required aud of external tokens, or NULL: Microsoft Graph */
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
  k->clock_skew = UP_DEFAULT_CLOCK_SKEW;
  if (!(k->cache = calloc(1, sizeof(*k->cache))) ||
      pthread_mutex_init(&k->cache->lock, NULL) != 0) {
    free(k->cache);
    k->cache = NULL;
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

static void jwks_free(jwk_t *keys, size_t n)
{
  for (size_t i = 0; keys && i < n; i++) {
    free(keys[i].kid);
    EVP_PKEY_free(keys[i].pkey);
  }
  free(keys);
}

static void cache_clear(token_cache_t *c)
{
  if (!c)
    return;
  pthread_mutex_lock(&c->lock);
  for (size_t i = 0; i < CACHE_SLOTS; i++) {
    free(c->slots[i].token);
    up_principal_fini(&c->slots[i].principal);
    memset(&c->slots[i], 0, sizeof(c->slots[i]));
  }
  pthread_mutex_unlock(&c->lock);
}

void up_keyring_free(up_keyring_t *k)
{
  if (!k)
    return;
  if (k->cache) {
    cache_clear(k->cache);
    pthread_mutex_destroy(&k->cache->lock);
    free(k->cache);
  }
  explicit_bzero(k->key, sizeof(k->key));
  jwks_free(k->jwks, k->n_jwks);
  free(k->issuer);
  free(k->audience);
  free(k);
}

void up_keyring_set_clock_skew(up_keyring_t *k, unsigned seconds)
{
  if (k) {
    k->clock_skew = seconds;
    cache_clear(k->cache);
  }
}

unsigned long up_keyring_cache_hits(const up_keyring_t *k)
{
  unsigned long n = 0;
  if (k && k->cache) {
    pthread_mutex_lock(&k->cache->lock);
    n = k->cache->hits;
    pthread_mutex_unlock(&k->cache->lock);
  }
  return n;
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
/* Decoding                                                                                    */
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

/* True when sig_b64 (the signature segment) is the HMAC-SHA256 of signed[0..len) with the local
 * key. Compared in constant time: libjwt compares signatures with strcmp, so it only sees
 * tokens whose signature has already passed here. */
static bool hs256_signature_ok(const up_keyring_t *k, const char *signed_part, size_t len,
                               const char *sig_b64, size_t sig_len)
{
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0, got_len = 0;
  unsigned char *got = b64url_decode(sig_b64, sig_len, &got_len);
  bool ok = got &&
            EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->key, KEY_SIZE,
                      (const unsigned char *)signed_part, len, mac, sizeof(mac), &mac_len) &&
            mac_len == 32 && got_len == 32 && CRYPTO_memcmp(mac, got, 32) == 0;
  free(got);
  return ok;
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

/* ------------------------------------------------------------------------------------------ */
/* External keys (JWKS)                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Copies s into buf (n > 0) for a message or a log line: printable ASCII is kept, anything else
 * becomes '?', and it is cut to fit. */
static const char *printable(const char *s, char *buf, size_t n)
{
  size_t i = 0;
  for (; s && s[i] && i + 1 < n; i++)
    buf[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
  buf[i] = '\0';
  return buf;
}

/* True when the JSON string v is exactly want (an embedded NUL does not match). */
static bool json_str_is(json_t *v, const char *want)
{
  size_t len = strlen(want);
  return json_is_string(v) && json_string_length(v) == len &&
         memcmp(json_string_value(v), want, len) == 0;
}

/* Reads the JWKS file at path as JSON. */
static up_status_t jwks_read(const char *path, json_t **out, up_error_t *err)
{
  struct stat st;
  unsigned char *buf = NULL;
  json_error_t jerr;
  ssize_t got;
  up_status_t ret = UP_OK;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  *out = NULL;
  if (fd < 0)
    return up_error_set(err, UP_INVALID, NULL, "JWKS file %s: cannot open it: %s", path,
                        strerror(errno));
  if (fstat(fd, &st) != 0) {
    ret = up_error_set(err, UP_INVALID, NULL, "JWKS file %s: cannot stat it: %s", path,
                       strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    ret = up_error_set(err, UP_INVALID, NULL, "JWKS file %s: not a regular file", path);
    goto out;
  }
  if (!(buf = malloc(MAX_JWKS_SIZE + 1))) {
    ret = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  got = read_up_to(fd, buf, MAX_JWKS_SIZE + 1);
  if (got < 0) {
    ret = up_error_set(err, UP_INVALID, NULL, "JWKS file %s: cannot read it: %s", path,
                       strerror(errno));
    goto out;
  }
  if (got > MAX_JWKS_SIZE) {
    ret = up_error_set(err, UP_INVALID, NULL, "JWKS file %s: larger than %d KiB", path,
                       MAX_JWKS_SIZE / 1024);
    goto out;
  }
  if (!(*out = json_loadb((const char *)buf, (size_t)got, JSON_REJECT_DUPLICATES, &jerr)))
    ret =
        up_error_set(err, UP_INVALID, NULL, "JWKS file %s: not valid JSON (line %d, column %d: %s)",
                     path, jerr.line, jerr.column, jerr.text);

out:
  free(buf);
  close(fd);
  return ret;
}

/* Decodes the base64url member name of a JWK into a new buffer; NULL (message in err, prefixed
 * with where) when it is absent, not a string or not canonical base64url. */
static unsigned char *jwk_bytes(json_t *jwk, const char *name, const char *where, size_t *len,
                                up_error_t *err)
{
  json_t *v = json_object_get(jwk, name);
  unsigned char *bytes;
  if (!json_is_string(v)) {
    up_error_set(err, UP_INVALID, NULL, "%s: '%s' is missing or not a string", where, name);
    return NULL;
  }
  if (!(bytes = b64url_decode(json_string_value(v), json_string_length(v), len)) || *len == 0) {
    free(bytes);
    up_error_set(err, UP_INVALID, NULL, "%s: '%s' is not unpadded base64url", where, name);
    return NULL;
  }
  return bytes;
}

/* Makes a public key of type ("RSA", "EC") from bld's parameters and checks it; NULL when they
 * are not a valid public key. */
static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL), *check = NULL;
  EVP_PKEY *pkey = NULL;

  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    goto out;
  /* RSA: n odd and composite, 2^16 < e < 2^256 and odd; EC: the point lies on the curve. */
  if (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) ||
      EVP_PKEY_public_check(check) != 1) {
    EVP_PKEY_free(pkey);
    pkey = NULL;
  }

out:
  ERR_clear_error();
  EVP_PKEY_CTX_free(check);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

/* The public key of an RSA JWK (n, e). *out NULL with UP_OK: skipped (too short, logged). */
static up_status_t jwk_rsa(json_t *jwk, const char *where, EVP_PKEY **out, up_error_t *err)
{
  unsigned char *n = NULL, *e = NULL;
  size_t n_len = 0, e_len = 0;
  BIGNUM *bn_n = NULL, *bn_e = NULL;
  OSSL_PARAM_BLD *bld = NULL;
  EVP_PKEY *pkey = NULL;
  up_status_t st = UP_OK;

  *out = NULL;
  if (!(n = jwk_bytes(jwk, "n", where, &n_len, err)) ||
      !(e = jwk_bytes(jwk, "e", where, &e_len, err))) {
    st = UP_INVALID;
    goto out;
  }
  if (!(bn_n = BN_bin2bn(n, (int)n_len, NULL)) || !(bn_e = BN_bin2bn(e, (int)e_len, NULL)) ||
      !(bld = OSSL_PARAM_BLD_new()) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
      !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (!(pkey = pkey_from_params("RSA", bld))) {
    st = up_error_set(err, UP_INVALID, NULL, "%s: 'n' and 'e' are not a valid RSA public key",
                      where);
    goto out;
  }
  if (EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
    up_log(UP_LOG_WARN, "%s: skipped, an RSA key of %d bits (at least %d are required)", where,
           EVP_PKEY_get_bits(pkey), MIN_RSA_BITS);
    goto out;
  }
  *out = pkey;
  pkey = NULL;

out:
  ERR_clear_error();
  EVP_PKEY_free(pkey);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  free(n);
  free(e);
  return st;
}

/* The public key of an EC P-256 JWK (x, y: 32 bytes each). */
static up_status_t jwk_ec(json_t *jwk, const char *where, EVP_PKEY **out, up_error_t *err)
{
  unsigned char *x = NULL, *y = NULL, point[1 + 2 * EC_COORD_SIZE];
  size_t x_len = 0, y_len = 0;
  OSSL_PARAM_BLD *bld = NULL;
  up_status_t st = UP_OK;

  *out = NULL;
  if (!(x = jwk_bytes(jwk, "x", where, &x_len, err)) ||
      !(y = jwk_bytes(jwk, "y", where, &y_len, err))) {
    st = UP_INVALID;
    goto out;
  }
  if (x_len != EC_COORD_SIZE || y_len != EC_COORD_SIZE) {
    st = up_error_set(err, UP_INVALID, NULL, "%s: 'x' and 'y' of a P-256 key are %d bytes each",
                      where, EC_COORD_SIZE);
    goto out;
  }
  /* The uncompressed point: 0x04 || x || y. */
  point[0] = 0x04;
  memcpy(point + 1, x, EC_COORD_SIZE);
  memcpy(point + 1 + EC_COORD_SIZE, y, EC_COORD_SIZE);
  if (!(bld = OSSL_PARAM_BLD_new()) ||
      !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (!(*out = pkey_from_params("EC", bld)))
    st = up_error_set(err, UP_INVALID, NULL, "%s: 'x' and 'y' are not a point of P-256", where);

out:
  ERR_clear_error();
  OSSL_PARAM_BLD_free(bld);
  free(x);
  free(y);
  return st;
}

/* Reads key number index (from 0) of the file at path into out; out->pkey stays NULL when the
 * key is skipped (not for signatures, another type, curve or algorithm; logged). */
static up_status_t jwk_load(json_t *jwk, const char *path, size_t index, jwk_t *out,
                            up_error_t *err)
{
  const char *kty = NULL, *kid = NULL, *use = NULL, *alg = NULL, *crv = NULL;
  char where[1400], shown[80];
  up_status_t st;

  memset(out, 0, sizeof(*out));
  if (!json_is_object(jwk))
    return up_error_set(err, UP_INVALID, NULL, "JWKS file %s: key %zu is not a JSON object", path,
                        index + 1);
  if (get_str_claim(jwk, "kid", &kid) < 0)
    return up_error_set(err, UP_INVALID, NULL, "JWKS file %s: key %zu: 'kid' is not a string", path,
                        index + 1);
  if (kid)
    snprintf(where, sizeof(where), "JWKS file %s: key %zu (kid '%s')", path, index + 1,
             printable(kid, shown, sizeof(shown)));
  else
    snprintf(where, sizeof(where), "JWKS file %s: key %zu", path, index + 1);
  if (get_str_claim(jwk, "kty", &kty) <= 0)
    return up_error_set(err, UP_INVALID, NULL, "%s: 'kty' is missing or not a string", where);
  if (get_str_claim(jwk, "use", &use) < 0 || get_str_claim(jwk, "alg", &alg) < 0 ||
      get_str_claim(jwk, "crv", &crv) < 0)
    return up_error_set(err, UP_INVALID, NULL, "%s: 'use', 'alg' and 'crv' must be strings", where);

  if (use && strcmp(use, "sig") != 0) {
    up_log(UP_LOG_WARN, "%s: skipped, its use is '%s', not 'sig'", where,
           printable(use, shown, sizeof(shown)));
    return UP_OK;
  }
  if (strcmp(kty, "RSA") == 0) {
    if (alg && strcmp(alg, "RS256") != 0) {
      up_log(UP_LOG_WARN, "%s: skipped, its alg is '%s' (RSA keys verify RS256)", where,
             printable(alg, shown, sizeof(shown)));
      return UP_OK;
    }
    out->type = JWK_RSA;
    st = jwk_rsa(jwk, where, &out->pkey, err);
  } else if (strcmp(kty, "EC") == 0) {
    if (!crv || strcmp(crv, "P-256") != 0) {
      up_log(UP_LOG_WARN, "%s: skipped, an EC key on curve '%s' (only P-256 is supported)", where,
             printable(crv ? crv : "", shown, sizeof(shown)));
      return UP_OK;
    }
    if (alg && strcmp(alg, "ES256") != 0) {
      up_log(UP_LOG_WARN, "%s: skipped, its alg is '%s' (P-256 keys verify ES256)", where,
             printable(alg, shown, sizeof(shown)));
      return UP_OK;
    }
    out->type = JWK_EC;
    st = jwk_ec(jwk, where, &out->pkey, err);
  } else {
    up_log(UP_LOG_WARN, "%s: skipped, its kty is '%s' (only RSA and EC keys verify tokens)", where,
           printable(kty, shown, sizeof(shown)));
    return UP_OK;
  }
  if (st != UP_OK || !out->pkey)
    return st;
  if (json_object_get(jwk, "d"))
    up_log(UP_LOG_WARN,
           "%s holds private key material; only its public part is used, and the "
           "file should hold public keys only",
           where);
  if (kid && !(out->kid = strdup(kid))) {
    EVP_PKEY_free(out->pkey);
    out->pkey = NULL;
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  }
  return UP_OK;
}

up_status_t up_keyring_trust_jwks(up_keyring_t *k, const char *path, const char *issuer,
                                  const char *audience, size_t *n_keys, up_error_t *err)
{
  json_t *root = NULL, *keys, *jwk;
  jwk_t *list = NULL;
  char *iss = NULL, *aud = NULL;
  size_t n = 0, i;
  up_status_t st;

  if (n_keys)
    *n_keys = 0;
  if (!k || !path || !*path)
    return up_error_set(err, UP_INTERNAL, NULL, "up_keyring_trust_jwks: missing argument");
  cache_clear(k->cache); /* what was verified with other keys is judged again */
  if ((st = jwks_read(path, &root, err)) != UP_OK)
    goto out;
  keys = json_is_object(root) ? json_object_get(root, "keys") : NULL;
  if (!json_is_array(keys)) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "JWKS file %s: not a JWK set (an object with a \"keys\" array)", path);
    goto out;
  }
  if (!(list = calloc(json_array_size(keys) + 1, sizeof(*list))) ||
      (issuer && *issuer && !(iss = strdup(issuer))) ||
      (audience && *audience && !(aud = strdup(audience)))) {
    st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
    goto out;
  }
  json_array_foreach(keys, i, jwk)
  {
    if ((st = jwk_load(jwk, path, i, &list[n], err)) != UP_OK)
      goto out;
    if (list[n].pkey)
      n++;
  }
  if (n == 0) {
    st = up_error_set(err, UP_INVALID, NULL,
                      "JWKS file %s: no usable signing key (kty RSA of at least %d bits, or kty "
                      "EC with crv P-256; use \"sig\" or none)",
                      path, MIN_RSA_BITS);
    goto out;
  }
  jwks_free(k->jwks, k->n_jwks);
  free(k->issuer);
  free(k->audience);
  k->jwks = list;
  k->n_jwks = n;
  k->issuer = iss;
  k->audience = aud;
  list = NULL;
  iss = aud = NULL;
  if (n_keys)
    *n_keys = n;

out:
  jwks_free(list, n);
  free(iss);
  free(aud);
  json_decref(root);
  return st;
}

/* Verifies sig over data with an external key: RS256 (RSASSA-PKCS1-v1_5 with SHA-256; the
 * signature is as long as the modulus) or ES256 (ECDSA P-256 with SHA-256; JWS sends r || s, 32
 * bytes each, which becomes the DER form OpenSSL verifies). */
static bool jwk_verify(const jwk_t *key, const unsigned char *data, size_t data_len,
                       const unsigned char *sig, size_t sig_len)
{
  EVP_MD_CTX *md = NULL;
  ECDSA_SIG *ec_sig = NULL;
  BIGNUM *r = NULL, *s = NULL;
  unsigned char *der = NULL;
  const unsigned char *check = sig;
  size_t check_len = sig_len;
  bool ok = false;

  if (key->type == JWK_EC) {
    int der_len;
    if (sig_len != 2 * EC_COORD_SIZE)
      goto out;
    if (!(ec_sig = ECDSA_SIG_new()) || !(r = BN_bin2bn(sig, EC_COORD_SIZE, NULL)) ||
        !(s = BN_bin2bn(sig + EC_COORD_SIZE, EC_COORD_SIZE, NULL)) ||
        ECDSA_SIG_set0(ec_sig, r, s) != 1)
      goto out;
    r = s = NULL; /* ec_sig owns them */
    if ((der_len = i2d_ECDSA_SIG(ec_sig, &der)) <= 0)
      goto out;
    check = der;
    check_len = (size_t)der_len;
  } else if (EVP_PKEY_get_size(key->pkey) <= 0 || sig_len != (size_t)EVP_PKEY_get_size(key->pkey)) {
    goto out;
  }
  ok = (md = EVP_MD_CTX_new()) != NULL &&
       EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key->pkey, NULL) == 1 &&
       EVP_DigestVerify(md, check, check_len, data, data_len) == 1;

out:
  ERR_clear_error();
  EVP_MD_CTX_free(md);
  ECDSA_SIG_free(ec_sig);
  BN_free(r);
  BN_free(s);
  OPENSSL_free(der);
  return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Verifying                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Verifies the signature of an RS256 (ec false) or ES256 token with the trusted external keys:
 * the key named by the header's kid, or without kid each key of the right type. signed_len
 * bytes of token are signed; sig_b64 is the signature segment (canonical base64url). */
static up_status_t verify_external(const up_keyring_t *k, json_t *header, bool ec,
                                   const char *token, size_t signed_len, const char *sig_b64,
                                   size_t sig_b64_len, up_error_t *err)
{
  const char *alg = ec ? "ES256" : "RS256", *kid = NULL;
  jwk_type_t want = ec ? JWK_EC : JWK_RSA;
  unsigned char *sig = NULL;
  size_t sig_len = 0;
  bool kid_known = false, tried = false, ok = false;
  char shown[80];

  if (k->n_jwks == 0)
    return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                        "Access token validation failure. %s tokens are not accepted: no keys of "
                        "an identity provider are trusted.",
                        alg);
  if (get_str_claim(header, "kid", &kid) < 0)
    return refuse(err, MSG_KID);
  if (!(sig = b64url_decode(sig_b64, sig_b64_len, &sig_len)))
    return up_error_set(err, UP_NOMEM, NULL, "out of memory");
  for (size_t i = 0; i < k->n_jwks && !ok; i++) {
    const jwk_t *key = &k->jwks[i];
    if (kid && (!key->kid || strcmp(key->kid, kid) != 0))
      continue;
    kid_known = true;
    if (key->type != want)
      continue;
    tried = true;
    ok = jwk_verify(key, (const unsigned char *)token, signed_len, sig, sig_len);
  }
  free(sig);
  if (ok)
    return UP_OK;
  if (kid && !kid_known)
    return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                        "Access token validation failure. The signing key '%s' is unknown.",
                        printable(kid, shown, sizeof(shown)));
  if (!tried && kid)
    return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                        "Access token validation failure. The signing key '%s' is not %s key; it "
                        "cannot verify %s tokens.",
                        printable(kid, shown, sizeof(shown)), ec ? "an EC P-256" : "an RSA", alg);
  if (!tried)
    return up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                        "Access token validation failure. No trusted key verifies %s tokens.", alg);
  return refuse(err, MSG_SIGNATURE);
}

/* exp (required) and nbf (optional) against now, with skew seconds of leeway; reads exp and
 * iat. */
static up_status_t check_lifetime(json_t *claims, int64_t now, unsigned skew, int64_t *exp,
                                  int64_t *iat, up_error_t *err)
{
  int64_t nbf = 0;
  int r;

  if ((r = get_time_claim(claims, "exp", exp)) <= 0)
    return refuse_claim(err, "exp", r == 0);
  /* Differences in uint64_t: no overflow whatever the claims hold. */
  if (*exp <= now && (uint64_t)now - (uint64_t)*exp >= skew)
    return refuse(err, MSG_EXPIRED);
  if ((r = get_time_claim(claims, "nbf", &nbf)) < 0)
    return refuse_claim(err, "nbf", false);
  if (r > 0 && nbf > now && (uint64_t)nbf - (uint64_t)now > skew)
    return refuse(err, MSG_NOT_YET);
  if (get_time_claim(claims, "iat", iat) < 0)
    return refuse_claim(err, "iat", false);
  return UP_OK;
}

/* True when the string v names the audience want, or Microsoft Graph when want is NULL. */
static bool audience_is(json_t *v, const char *want)
{
  if (want)
    return json_str_is(v, want);
  return json_str_is(v, AUDIENCE) || json_str_is(v, AUDIENCE "/") || json_str_is(v, GRAPH_APP_ID);
}

/* aud: a string or an array of strings naming want (NULL: Microsoft Graph). Without want, a token
 * without aud is accepted; with it, aud is required. */
static up_status_t check_audience(json_t *claims, const char *want, up_error_t *err)
{
  json_t *aud = json_object_get(claims, "aud"), *item;
  bool found = false;
  size_t i;

  if (!aud)
    return want ? refuse_claim(err, "aud", true) : UP_OK;
  if (json_is_string(aud)) {
    found = audience_is(aud, want);
  } else if (json_is_array(aud)) {
    json_array_foreach(aud, i, item)
    {
      if (!json_is_string(item))
        return refuse_claim(err, "aud", false);
      found = found || audience_is(item, want);
    }
  } else {
    return refuse_claim(err, "aud", false);
  }
  return found ? UP_OK : refuse(err, MSG_AUDIENCE);
}

/* iss must be exactly want (when want is not NULL). */
static up_status_t check_issuer(json_t *claims, const char *want, up_error_t *err)
{
  json_t *iss = json_object_get(claims, "iss");
  if (!want)
    return UP_OK;
  if (!iss)
    return refuse_claim(err, "iss", true);
  if (!json_is_string(iss))
    return refuse_claim(err, "iss", false);
  return json_str_is(iss, want) ? UP_OK : refuse(err, MSG_ISSUER);
}

/* Reads the string claim name, or alt when name is absent. 0: neither; -1: not a string. */
static int get_str_claim_or(json_t *claims, const char *name, const char *alt, const char **out)
{
  int r = get_str_claim(claims, name, out);
  return r == 0 ? get_str_claim(claims, alt, out) : r;
}

/* Fills p from the verified claims (Entra ID v1 and v2 access tokens). */
static up_status_t fill_principal(json_t *claims, int64_t exp, int64_t iat, up_principal_t *p,
                                  up_error_t *err)
{
  static const char *const list_names[] = {"roles", "wids", "groups"};
  const char *tid = NULL, *oid = NULL, *appid = NULL, *idtyp = NULL, *upn = NULL, *name = NULL;
  const char *scp = NULL;
  int r;
  bool nomem = false;
  strv_t scopes = {0};

  /* Identity: tid, oid, appid (v2: azp) are required. */
  if ((r = get_str_claim(claims, "tid", &tid)) <= 0)
    return refuse_claim(err, "tid", r == 0);
  if (!up_uuid_is_valid(tid))
    return refuse_claim(err, "tid", false);
  if ((r = get_str_claim(claims, "oid", &oid)) <= 0)
    return refuse_claim(err, "oid", r == 0);
  if (!up_uuid_is_valid(oid))
    return refuse_claim(err, "oid", false);
  if ((r = get_str_claim_or(claims, "appid", "azp", &appid)) <= 0 || !*appid)
    return refuse_claim(err, r == 0 || json_object_get(claims, "appid") ? "appid" : "azp", r == 0);
  if (get_str_claim(claims, "idtyp", &idtyp) < 0)
    return refuse_claim(err, "idtyp", false);
  if (get_str_claim(claims, "scp", &scp) < 0)
    return refuse_claim(err, "scp", false);
  if (get_str_claim_or(claims, "upn", "preferred_username", &upn) < 0)
    return refuse_claim(err, json_object_get(claims, "upn") ? "upn" : "preferred_username", false);
  if (get_str_claim(claims, "name", &name) < 0)
    return refuse_claim(err, "name", false);

  /* Copy out. Without idtyp, an application token has no scp, and roles or no user name. */
  up_strlcpy(p->tenant_id, tid, sizeof(p->tenant_id));
  up_ascii_lower(p->tenant_id);
  up_strlcpy(p->oid, oid, sizeof(p->oid));
  up_ascii_lower(p->oid);
  p->is_app = idtyp ? strcmp(idtyp, "app") == 0
                    : scp == NULL && (json_object_get(claims, "roles") != NULL || upn == NULL);
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

static bool strv_copy(char ***dst, char *const *src, size_t n)
{
  *dst = NULL;
  if (!n)
    return true;
  if (!(*dst = calloc(n, sizeof(char *))))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((*dst)[i] = strdup(src[i])))
      return false;
  return true;
}

static bool principal_copy(up_principal_t *dst, const up_principal_t *src)
{
  *dst = *src;
  dst->upn = dst->name = dst->app_id = NULL;
  dst->scopes = dst->roles = dst->wids = dst->groups = NULL;
  bool ok = (!src->upn || (dst->upn = strdup(src->upn))) &&
            (!src->name || (dst->name = strdup(src->name))) &&
            (!src->app_id || (dst->app_id = strdup(src->app_id))) &&
            strv_copy(&dst->scopes, src->scopes, src->n_scopes) &&
            strv_copy(&dst->roles, src->roles, src->n_roles) &&
            strv_copy(&dst->wids, src->wids, src->n_wids) &&
            strv_copy(&dst->groups, src->groups, src->n_groups);
  if (!ok) {
    /* counts say how many slots to look at; the unset ones are NULL */
    up_principal_fini(dst);
  }
  return ok;
}

static uint64_t token_hash(const char *s, size_t n)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= (unsigned char)s[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* A principal for the token when it was verified lately and has not expired since. */
static bool cache_get(const up_keyring_t *k, const char *token, size_t len, uint64_t hash,
                      int64_t now, up_principal_t *out)
{
  token_cache_t *c = k->cache;
  bool hit = false;
  if (!c)
    return false;
  pthread_mutex_lock(&c->lock);
  cached_token_t *e = &c->slots[hash % CACHE_SLOTS];
  if (e->token && e->hash == hash && e->len == len && up_mem_equal_ct(e->token, token, len) &&
      e->exp > now - (int64_t)k->clock_skew && now >= e->verified_at &&
      principal_copy(out, &e->principal)) {
    hit = true;
    c->hits++;
  }
  pthread_mutex_unlock(&c->lock);
  return hit;
}

static void cache_put(const up_keyring_t *k, const char *token, size_t len, uint64_t hash,
                      int64_t now, const up_principal_t *p)
{
  token_cache_t *c = k->cache;
  cached_token_t fresh;
  memset(&fresh, 0, sizeof(fresh));
  fresh.hash = hash;
  fresh.len = len;
  fresh.exp = p->expires_at;
  fresh.verified_at = now;
  if (!c || !(fresh.token = strndup(token, len)) || !principal_copy(&fresh.principal, p)) {
    free(fresh.token);
    return;
  }
  pthread_mutex_lock(&c->lock);
  cached_token_t *e = &c->slots[hash % CACHE_SLOTS];
  free(e->token);
  up_principal_fini(&e->principal);
  *e = fresh;
  pthread_mutex_unlock(&c->lock);
}

up_status_t up_token_verify(const up_keyring_t *k, const char *authorization, int64_t now,
                            up_principal_t *out, up_error_t *err)
{
  const char *s = authorization, *token, *dot1, *dot2;
  size_t len;
  char *copy = NULL, shown[48];
  json_t *header = NULL, *claims = NULL;
  jwt_t *jwt = NULL;
  const char *alg = NULL;
  bool external;
  int64_t exp = 0, iat = 0;
  int r;
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
  uint64_t hash = token_hash(token, len);
  if (cache_get(k, token, len, hash, now, out))
    return UP_OK;

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

  /* 3. The algorithm, decided here and not by a library, picks the keys: HS256 only the local
   *    key, RS256 and ES256 only the trusted external keys, so that a public key can never
   *    serve as an HMAC secret and "none" never passes. */
  if ((r = get_str_claim(header, "alg", &alg)) <= 0) {
    st = r == 0 ? refuse(err, MSG_NO_ALG)
                : refuse(err, "Access token validation failure. The token header's 'alg' is "
                              "malformed.");
    goto out;
  }
  if (up_str_ieq(alg, "none")) {
    st = refuse(err, MSG_UNSIGNED);
    goto out;
  }
  if (json_object_get(header, "crit")) {
    st = refuse(err, MSG_CRIT);
    goto out;
  }
  external = strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0;
  if (external) {
    /* 4a. The signature, with the trusted keys. */
    st = verify_external(k, header, alg[0] == 'E', token, (size_t)(dot2 - token), dot2 + 1,
                         len - (size_t)(dot2 + 1 - token), err);
    if (st != UP_OK)
      goto out;
  } else if (strcmp(alg, "HS256") == 0) {
    /* 4b. The signature, by libjwt with the local key over the exact bytes decoded above. */
    if ((size_t)(token + len - (dot2 + 1)) != 43) {
      st = refuse(err, MSG_SIGNATURE);
      goto out;
    }
    if (!hs256_signature_ok(k, token, (size_t)(dot2 - token), dot2 + 1, 43)) {
      st = refuse(err, MSG_SIGNATURE);
      goto out;
    }
    if (!(copy = strndup(token, len))) {
      st = up_error_set(err, UP_NOMEM, NULL, "out of memory");
      goto out;
    }
    if (jwt_decode(&jwt, copy, k->key, KEY_SIZE) != 0 || !jwt ||
        jwt_get_alg(jwt) != JWT_ALG_HS256) {
      st = refuse(err, MSG_SIGNATURE);
      goto out;
    }
  } else {
    st = up_error_set(err, UP_UNAUTHORIZED, TOKEN_CODE,
                      "Access token validation failure. The signing algorithm '%s' is not "
                      "supported (HS256, RS256, ES256).",
                      printable(alg, shown, sizeof(shown)));
    goto out;
  }

  /* 5. Claims: claims was decoded from the payload segment whose signature just verified.
   *    Lifetime for every token; the configured issuer and audience for external ones. */
  if ((st = check_lifetime(claims, now, k->clock_skew, &exp, &iat, err)) != UP_OK ||
      (external && (st = check_issuer(claims, k->issuer, err)) != UP_OK) ||
      (st = check_audience(claims, external ? k->audience : NULL, err)) != UP_OK)
    goto out;
  st = fill_principal(claims, exp, iat, out, err);
  if (st == UP_OK)
    cache_put(k, token, len, hash, now, out);

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

/* --- signed URLs --- */

bool up_keyring_url_token(const up_keyring_t *k, const char *text, char out[48])
{
  /* A purpose prefix keeps these MACs apart from the key's other use (HS256 tokens). */
  static const char purpose[] = "uprintd signed URL\n";
  unsigned char mac[EVP_MAX_MD_SIZE], msg[1024];
  size_t mac_len = 0, plen = sizeof(purpose) - 1, tlen = strlen(text);
  if (plen + tlen > sizeof(msg))
    return false;
  memcpy(msg, purpose, plen);
  memcpy(msg + plen, text, tlen);
  return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->key, KEY_SIZE, msg, plen + tlen, mac,
                   sizeof(mac), &mac_len) &&
         mac_len == 32 && up_base64url_encode(mac, 32, out, 48);
}

bool up_keyring_url_token_ok(const up_keyring_t *k, const char *text, const char *token)
{
  char want[48];
  return token && strlen(token) == 43 && up_keyring_url_token(k, text, want) &&
         up_mem_equal_ct(want, token, 43);
}
