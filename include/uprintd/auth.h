/* auth.h - bearer tokens: issuing (uprintd token) and verifying (every request), and the
 * caller's identity that every handler sees.
 * Tokens are JWTs shaped like Entra ID access tokens, signed HS256 with the data folder's key.
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
 *  exclusively so that concurrent `serve` and `token` agree) when absent. DIR must exist. */
up_status_t up_keyring_open(const char *data_dir, up_keyring_t **out, up_error_t *err);

void up_keyring_free(up_keyring_t *k);

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
 *  UP_UNAUTHORIZED (code InvalidAuthenticationToken) when it is missing, malformed, not HS256,
 *  badly signed, expired (exp <= now), not yet valid (nbf > now) or lacks tid/oid/appid. */
up_status_t up_token_verify(const up_keyring_t *k, const char *authorization, int64_t now,
                            up_principal_t *out, up_error_t *err);

#endif
