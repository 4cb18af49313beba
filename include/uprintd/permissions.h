/* permissions.h - the permission table: who may call each route (reference 2, 11).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UP_PERMISSIONS_H
#define UP_PERMISSIONS_H

#include "uprintd/auth.h"
#include "uprintd/base.h"

#include <stdbool.h>
#include <stdio.h>

/** The permission sets; every route of the route table names one (its `perm` column). */
typedef enum up_perm_id {
  UP_PERM_OPEN,   /**< no bearer token: the URL carries its own (uploads, downloads) */
  UP_PERM_PUBLIC, /**< no token at all: /healthz, /readyz, /metrics */
  UP_PERM_PRINTER_CREATE,
  UP_PERM_PRINTER_LIST,
  UP_PERM_PRINTER_READ,
  UP_PERM_PRINTER_UPDATE,
  UP_PERM_PRINTER_DELETE,
  UP_PERM_PRINTER_RESTORE,
  UP_PERM_OPERATION_READ,
  UP_PERM_SHARE_READ,
  UP_PERM_SHARE_CREATE,
  UP_PERM_SHARE_UPDATE,
  UP_PERM_SHARE_MEMBERS_READ,
  UP_PERM_SHARE_MEMBERS_WRITE,
  UP_PERM_JOB_READ_PRINTER,
  UP_PERM_JOB_READ_SHARE,
  UP_PERM_JOB_CREATE_PRINTER,
  UP_PERM_JOB_CREATE_SHARE,
  UP_PERM_JOB_START_PRINTER,
  UP_PERM_JOB_START_SHARE,
  UP_PERM_JOB_CANCEL_PRINTER,
  UP_PERM_JOB_CANCEL_SHARE,
  UP_PERM_JOB_CONTENT_PRINTER,
  UP_PERM_JOB_CONTENT_SHARE,
  UP_PERM_JOB_UPLOAD_PRINTER,
  UP_PERM_JOB_UPLOAD_SHARE,
  UP_PERM_JOB_UPDATE,
  UP_PERM_JOB_ABORT,
  UP_PERM_JOB_REDIRECT,
  UP_PERM_TASK_DEFINITIONS,
  UP_PERM_TRIGGER_READ,
  UP_PERM_TRIGGER_WRITE,
  UP_PERM_DEVICE_CONTROL,
  UP_PERM_BATCH, /**< any valid bearer token: each request inside is judged on its own */
  UP_PERM_SERVER_FAULTS,
  UP_PERM_COUNT
} up_perm_id_t;

/** One permission set. Scope lists are NULL-terminated, least privileged first. */
typedef struct up_perm {
  const char *name;                    /**< e.g. "printer.create", for documentation */
  const char *const *delegated;        /**< accepted delegated scopes; NULL: no delegated caller */
  const char *const *delegated_also;   /**< and one of these too (Get printer/share), or NULL */
  const char *const *application;      /**< accepted application permissions; NULL: no app */
  const char *const *application_also; /**< and one of these too (Get printer), or NULL */
  bool admin; /**< delegated callers must be Printer (or Global) Administrators */
  /** Any authenticated caller passes, whatever its scopes and roles (the scope lists are
   *  NULL): the route only carries requests that are judged on their own ($batch). */
  bool any_caller;
} up_perm_t;

/** The table, indexed by up_perm_id_t. */
extern const up_perm_t up_perms[UP_PERM_COUNT];

/** What a granted call may reach beyond the route. */
typedef struct up_grant {
  /** Jobs of every user: an application with an accepted permission, or a Printer
   *  Administrator holding an accepted `.All` scope. Otherwise only the caller's own jobs. */
  bool all_jobs;
} up_grant_t;

/** Checks the caller against set id: UP_OK with *grant filled, or UP_FORBIDDEN with an error
 *  that names what is missing. UP_PERM_OPEN and sets with any_caller always pass (all_jobs
 *  false). */
up_status_t up_perm_check(up_perm_id_t id, const up_principal_t *who, up_grant_t *grant,
                          up_error_t *err);

/** Writes the table as Markdown (docs/PERMISSIONS.md) or JSON (tests), one row per route of
 *  routes (NULL-pattern-terminated route table). */
struct up_route;
void up_perm_write_markdown(FILE *out, const struct up_route *routes);
void up_perm_write_json(FILE *out, const struct up_route *routes);

#endif
