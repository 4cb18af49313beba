/* store.h - the persistence interface. Handlers see only this header: plain structs in and
 * out, no SQL. The SQLite implementation is store*.c; another backend implements the same
 * functions.
 *
 * Threading: a store is one writer connection guarded by a mutex inside the store; every
 * function may be called from any thread. Each function is one transaction.
 * Tenancy: every function that reads or writes an object takes the tenant id, and an object
 * of another tenant behaves exactly like one that does not exist (UP_NOT_FOUND).
 * Errors: UP_OK; UP_NOT_FOUND; UP_CONFLICT (a uniqueness rule); UP_DB (the database failed;
 * err says why); UP_NOMEM.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_STORE_H
#define UPRINTD_STORE_H

#include "uprintd/base.h"
#include "uprintd/objects.h"

typedef struct up_store up_store_t;

/** Opens (creating when absent) the database at path, sets WAL, synchronous=NORMAL, foreign
 *  keys and a busy timeout, and applies the pending migrations of schema/ (one transaction
 *  each, version in PRAGMA user_version). A database whose user_version is newer than the
 *  newest migration is refused (UP_INVALID) and left untouched.
 *  @param[out] out the new store; caller frees with up_store_free. */
up_status_t up_store_open(const char *path, up_store_t **out, up_error_t *err);

/** Closes the database. NULL is a no-op. */
void up_store_free(up_store_t *store);

/** The schema version the database is at (PRAGMA user_version), or -1 on error. */
int up_store_schema_version(up_store_t *store);

/** The newest schema version this build knows (number of the last schema/NNNN-*.sql). */
int up_store_schema_latest(void);

/* --- printers and their registration operations --- */

/** Inserts printer p and operation op (which names p in printer_id) in one transaction. */
up_status_t up_store_printer_create(up_store_t *store, const up_printer_t *p,
                                    const up_operation_t *op, up_error_t *err);

/** Reads one printer (with is_shared/share_id). out is zeroed first; caller fini's it. */
up_status_t up_store_printer_get(up_store_t *store, const char *tenant, const char *id,
                                 up_printer_t *out, up_error_t *err);

/** All printers of tenant, ordered by registered_at then id. Caller fini's out. */
up_status_t up_store_printer_list(up_store_t *store, const char *tenant, up_printer_list_t *out,
                                  up_error_t *err);

/** Writes every stored member of p (looked up by tenant_id and id) except id, tenant_id,
 *  registered_at and the derived ones. */
up_status_t up_store_printer_update(up_store_t *store, const up_printer_t *p, up_error_t *err);

/** Deletes a printer and the shares that point at it. */
up_status_t up_store_printer_delete(up_store_t *store, const char *tenant, const char *id,
                                    up_error_t *err);

/** Reads one operation. */
up_status_t up_store_operation_get(up_store_t *store, const char *tenant, const char *id,
                                   up_operation_t *out, up_error_t *err);

/** All operations of tenant, ordered by created_at then id. */
up_status_t up_store_operation_list(up_store_t *store, const char *tenant, up_operation_list_t *out,
                                    up_error_t *err);

/* --- shares --- */

/** Inserts a share. UP_NOT_FOUND when s->printer_id is not a printer of s->tenant_id;
 *  UP_CONFLICT when that printer already has a share (one share per printer). */
up_status_t up_store_share_create(up_store_t *store, const up_share_t *s, up_error_t *err);

/** Reads one share with its printer joined into out->printer. */
up_status_t up_store_share_get(up_store_t *store, const char *tenant, const char *id,
                               up_share_t *out, up_error_t *err);

/** Shares of tenant (of one printer when printer_id is not NULL), ordered by created_at then
 *  id, each with its printer. */
up_status_t up_store_share_list(up_store_t *store, const char *tenant, const char *printer_id,
                                up_share_list_t *out, up_error_t *err);

/** Writes display_name, allow_all_users and printer_id of share s. UP_NOT_FOUND when the share
 *  or the new printer does not exist in the tenant; UP_CONFLICT when the new printer already
 *  has another share. */
up_status_t up_store_share_update(up_store_t *store, const up_share_t *s, up_error_t *err);

/** Deletes a share. */
up_status_t up_store_share_delete(up_store_t *store, const char *tenant, const char *id,
                                  up_error_t *err);

#endif
