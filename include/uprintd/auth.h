/* auth.h - bearer tokens: issuing (uprintd token) and verifying (every request), and the
 * caller's identity that every handler sees.
 * Tokens are JWTs shaped like Entra ID access tokens: signed HS256 with the data folder's key
 * (uprintd token), or RS256/ES256 by an external identity provider whose public keys (a JWKS
 * file) the server was told to trust.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_AUTH_H
#define UPRINTD_AUTH_H

#include "uprintd/base.h"

/** Tenant used when none is given. */
#define UP_DEFAULT_TENANT "4d7f1c3e-8a2b-4f6d-9c1e-2b3a4c5d6e7f"
/** Client application named in delegated tokens when none is given. */
#define UP_DEFAULT_CLIENT_APP "8c3d9e1f-5a7b-4c2d-b6e8-1f2a3b4c5d6e"
/** Directory role template ids (wids claim). */
#define UP_ROLE_PRINTER_ADMIN "644ef478-e28f-4e28-b9dc-3fdde9aa0b1f"
#define UP_ROLE_GLOBAL_ADMIN  "62e90394-69f5-4237-9190-012177145e10"
/** File name of the signing key inside the data folder (32 random bytes, mode 0600). */
#define UP_KEY_FILE "signing.key"
/** Default leeway, in seconds, on a token's exp and nbf (clocks of issuer and server differ). */
#define UP_DEFAULT_CLOCK_SKEW 30

/** The caller, from a verified token. Heap members are owned; release with up_principal_fini. */
typedef struct up_principal {
  char tenant_id[UP_ID_SIZE]; /**< tid */
  bool is_app;                /**< true: application token (idtyp app), no user */
  char oid[UP_ID_SIZE];       /**< user object id (delegated) or service principal id (app) */
  char *upn;                  /**< upn (delegated), else NULL */
  char *name;                 /**< name, or NULL */
  char *app_id;               /**< appid: the client application */
  char **scopes;              /**< scp split on spaces (delegated) */
  size_t n_scopes;
  char **roles; /**< roles: application permissions (app) */
  size_t n_roles;
  char **wids; /**< directory role template ids */
  size_t n_wids;
  char **groups; /**< group object ids */
  size_t n_groups;
  int64_t issued_at;  /**< iat, seconds since the epoch */
  int64_t expires_at; /**< exp, seconds since the epoch */
} up_principal_t;

void up_principal_fini(up_principal_t *p);

/** Delegated scope (scp) or application permission (roles), by exact, case-insensitive name. */
bool up_principal_has_scope(const up_principal_t *p, const char *scope);

/** True when wids holds Printer Administrator or Global Administrator. */
bool up_principal_is_printer_admin(const up_principal_t *p);

/** The signing keys of a data folder. */
typedef struct up_keyring up_keyring_t;

/** Reads DIR/signing.key, creating it first (32 bytes from the kernel, mode 0600, created
 *  exclusively so that concurrent `serve` and `token` agree) when absent. DIR must exist.
 *  The keyring trusts no external key and allows UP_DEFAULT_CLOCK_SKEW seconds of leeway. */
up_status_t up_keyring_open(const char *data_dir, up_keyring_t **out, up_error_t *err);

void up_keyring_free(up_keyring_t *k);

/** Leeway, in seconds, allowed on exp and nbf of every token (local and external). */
void up_keyring_set_clock_skew(up_keyring_t *k, unsigned seconds);

/** The tempauthtoken of a signed URL: base64url (43 characters) of HMAC-SHA256 under the
 *  data folder's key of what the URL grants (text, e.g. "download\nTENANT\nDOCUMENT\nEXPIRES"),
 *  so that the URL needs no stored row. False when the MAC cannot be computed. */
bool up_keyring_url_token(const up_keyring_t *k, const char *text, char out[48]);

/** True when token is the tempauthtoken of text (compared in constant time). */
bool up_keyring_url_token_ok(const up_keyring_t *k, const char *text, const char *token);

/** How often a token was found among those verified lately (their signature and claims are
 *  checked once; exp is checked again on every use). */
unsigned long up_keyring_cache_hits(const up_keyring_t *k);

/** Trusts the signing keys of an external identity provider, read once from a JWKS file
 *  ({"keys":[...]}): RSA keys (kty RSA, n, e; at least 2048 bits) verify RS256 tokens, EC P-256
 *  keys (kty EC, crv P-256, x, y) verify ES256 tokens; kid is optional. Keys whose use is not
 *  "sig", whose alg is not the one their type verifies, or of another type or curve are skipped.
 *  issuer (NULL or "": any) is the exact iss such tokens must carry; audience is the aud they
 *  must carry, a string or an array holding it (NULL or "": Microsoft Graph, as for local tokens).
 *  Replaces the keys trusted before. UP_INVALID, with a message naming the file, when it cannot
 *  be read, is not a JWK set, holds a malformed RSA or EC key, or no usable key; *n_keys (may be
 *  NULL) is the number of keys trusted. */
up_status_t up_keyring_trust_jwks(up_keyring_t *k, const char *path, const char *issuer,
                                  const char *audience, size_t *n_keys, up_error_t *err);

/** What to put in a new token. Strings may be NULL where noted. */
typedef struct up_token_spec {
  const char *tenant_id; /**< NULL: UP_DEFAULT_TENANT */
  const char *upn;       /**< user principal name; NULL: an application token */
  const char *name;      /**< display name; NULL: derived from upn (or app id) */
  const char *oid;       /**< NULL: delegated: v5 GUID of (tenant, lower-cased upn);
                              app: v5 GUID of (tenant, "app:" + app id) */
  const char *app_id;    /**< NULL for delegated: UP_DEFAULT_CLIENT_APP; required for apps */
  const char *scopes;    /**< space-separated: scp (delegated) or roles (app) */
  const char *roles;     /**< space-separated directory roles: names PrinterAdministrator,
                              GlobalAdministrator, or role template GUIDs (delegated only) */
  const char *groups;    /**< space-separated group ids, may be NULL */
  int64_t expires_in;    /**< seconds; <= 0: 3600 */
  int64_t now;           /**< issue time (seconds since the epoch); 0: the current time */
} up_token_spec_t;

/** Issues a signed token. *out is a new string; caller frees with free().
 *  UP_INVALID when the spec is inconsistent (e.g. no app id for an app token, an unknown role
 *  name, a tenant or oid that is not a GUID). */
up_status_t up_token_issue(const up_keyring_t *k, const up_token_spec_t *spec, char **out,
                           up_error_t *err);

/** Verifies an Authorization header value ("Bearer <jwt>"; the scheme is case-insensitive) and
 *  fills out (zeroed first). now is seconds since the epoch (0: the current time).
 *  HS256 tokens are verified with the local key only; RS256 and ES256 tokens with the trusted
 *  JWKS keys only (the header's kid, when present, selects the key; without it every key of the
 *  right type is tried), and must then carry the configured issuer and audience.
 *  UP_UNAUTHORIZED (code InvalidAuthenticationToken, a message saying what is wrong) when it is
 *  missing, malformed, unsigned (alg none), of another algorithm, signed by an unknown key, badly
 *  signed, expired (exp <= now - skew), not yet valid (nbf > now + skew), from another issuer or
 *  for another audience, or lacks tid/oid/appid (azp). Claims map to the principal as Entra ID's:
 *  upn or preferred_username, appid or azp; an application token has idtyp "app", or, without
 *  idtyp, no scp and either roles or no upn. */
up_status_t up_token_verify(const up_keyring_t *k, const char *authorization, int64_t now,
                            up_principal_t *out, up_error_t *err);

#endif
