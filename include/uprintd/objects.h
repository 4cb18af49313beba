/* objects.h - plain C forms of the stored Graph objects (no JSON, no SQL).
 * Complex Graph values that are stored and returned whole (printerStatus, printerLocation,
 * printerDefaults, printerCapabilities) are kept as canonical JSON text; the model layer
 * parses and renders them.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef UPRINTD_OBJECTS_H
#define UPRINTD_OBJECTS_H

#include "uprintd/base.h"
#include "uprintd/util.h"

/** Tri-state for nullable booleans. */
#define UP_BOOL_NULL (-1)

/** microsoft.graph.printer (with its printerBase members). Strings are heap-owned by the struct;
 *  release them with up_printer_fini. NULL means a JSON null. */
typedef struct up_printer {
  char id[UP_ID_SIZE];         /**< id */
  char tenant_id[UP_ID_SIZE];  /**< owning tenant (token tid) */
  char *display_name;          /**< displayName (not null) */
  char *manufacturer;          /**< manufacturer */
  char *model;                 /**< model */
  int is_accepting_jobs;       /**< isAcceptingJobs: 0, 1 or UP_BOOL_NULL */
  bool has_physical_device;    /**< hasPhysicalDevice */
  char *physical_device_id;    /**< physicalDeviceId given at registration */
  char *connector_id;          /**< connectorId given at registration */
  char *registered_by_app;     /**< appid of the registering caller (app PATCH ownership) */
  char *registered_by_user;    /**< oid of the registering user, or NULL */
  up_time_t registered_at;     /**< registeredDateTime */
  up_time_t last_seen_at;      /**< lastSeenDateTime, UP_TIME_NULL = null */
  char *status_json;           /**< status: printerStatus JSON object text (not null) */
  char *location_json;         /**< location: printerLocation JSON text, NULL = null */
  char *defaults_json;         /**< defaults: printerDefaults JSON text, NULL = null */
  char *factory_defaults_json; /**< defaults restored by restoreFactoryDefaults, NULL = null */
  char *capabilities_json;     /**< capabilities: printerCapabilities JSON text, NULL = null */
  /* Derived on read, ignored on write: */
  bool is_shared;            /**< isShared: a share points at this printer */
  char share_id[UP_ID_SIZE]; /**< that share's id, "" when none */
} up_printer_t;

/** microsoft.graph.printerShare. The printer it points at is read with it (joined). */
typedef struct up_share {
  char id[UP_ID_SIZE];         /**< id */
  char tenant_id[UP_ID_SIZE];  /**< owning tenant */
  char printer_id[UP_ID_SIZE]; /**< printer (navigation) */
  char *display_name;          /**< displayName of the share (at most 50 characters) */
  bool allow_all_users;        /**< allowAllUsers */
  up_time_t created_at;        /**< createdDateTime */
  up_printer_t printer;        /**< filled on read: the printer behind the share */
} up_share_t;

/** printOperationProcessingState */
typedef enum up_operation_state {
  UP_OPERATION_NOT_STARTED = 0,
  UP_OPERATION_RUNNING,
  UP_OPERATION_SUCCEEDED,
  UP_OPERATION_FAILED,
} up_operation_state_t;

/** microsoft.graph.printerCreateOperation */
typedef struct up_operation {
  char id[UP_ID_SIZE];         /**< id */
  char tenant_id[UP_ID_SIZE];  /**< owning tenant */
  up_time_t created_at;        /**< createdDateTime */
  up_operation_state_t state;  /**< status.state */
  char *description;           /**< status.description */
  char printer_id[UP_ID_SIZE]; /**< printer (navigation), "" until created */
  char *certificate;           /**< certificate, NULL = null */
} up_operation_t;

typedef struct up_printer_list {
  up_printer_t *items;
  size_t count;
} up_printer_list_t;

typedef struct up_share_list {
  up_share_t *items;
  size_t count;
} up_share_list_t;

typedef struct up_operation_list {
  up_operation_t *items;
  size_t count;
} up_operation_list_t;

/** Release the heap members (not the struct itself); safe on zeroed structs and twice. */
void up_printer_fini(up_printer_t *p);
void up_share_fini(up_share_t *s);
void up_operation_fini(up_operation_t *op);
void up_printer_list_fini(up_printer_list_t *l);
void up_share_list_fini(up_share_list_t *l);
void up_operation_list_fini(up_operation_list_t *l);

/** Deep copy; false on allocation failure (dst is then fini'ed and zeroed). */
bool up_printer_copy(up_printer_t *dst, const up_printer_t *src);

#endif
