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

/** A share's allowed users or groups (printerShare.allowedUsers, allowedGroups). */
typedef enum up_member_kind { UP_MEMBER_USER, UP_MEMBER_GROUP } up_member_kind_t;

/** One allowed user or group: its object id. */
typedef struct up_member {
  char id[UP_ID_SIZE];
} up_member_t;

typedef struct up_member_list {
  up_member_t *items;
  size_t count;
} up_member_list_t;

typedef struct up_operation_list {
  up_operation_t *items;
  size_t count;
} up_operation_list_t;

/** printJobProcessingState (values as in Graph's enum). */
typedef enum up_job_state {
  UP_JOB_UNKNOWN = 0,
  UP_JOB_PENDING = 1,
  UP_JOB_PROCESSING = 2,
  UP_JOB_PAUSED = 3,
  UP_JOB_STOPPED = 4,
  UP_JOB_COMPLETED = 5,
  UP_JOB_CANCELED = 6,
  UP_JOB_ABORTED = 7,
  UP_JOB_STATE_COUNT
} up_job_state_t;

/** printJobStateDetail members, as bits (bit n = Graph value n). */
enum {
  UP_JOB_DETAIL_UPLOAD_PENDING = 1u << 0,
  UP_JOB_DETAIL_TRANSFORMING = 1u << 1,
  UP_JOB_DETAIL_COMPLETED_SUCCESSFULLY = 1u << 2,
  UP_JOB_DETAIL_COMPLETED_WITH_WARNINGS = 1u << 3,
  UP_JOB_DETAIL_COMPLETED_WITH_ERRORS = 1u << 4,
  UP_JOB_DETAIL_RELEASE_WAIT = 1u << 5,
  UP_JOB_DETAIL_INTERPRETING = 1u << 6,
};

/** microsoft.graph.printDocument (one per job). */
typedef struct up_document {
  char id[UP_ID_SIZE];     /**< id */
  int64_t job_id;          /**< the job it belongs to */
  char *display_name;      /**< displayName ("" until uploaded) */
  char *content_type;      /**< contentType ("" until uploaded) */
  int64_t size;            /**< size (0 until uploaded) */
  up_time_t uploaded_at;   /**< uploadedDateTime, UP_TIME_NULL = null */
  up_time_t downloaded_at; /**< downloadedDateTime, UP_TIME_NULL = null */
} up_document_t;

/** microsoft.graph.printJob. Heap strings owned; release with up_job_fini. */
typedef struct up_job {
  int64_t id;                     /**< id: a decimal number, rendered as a string */
  char tenant_id[UP_ID_SIZE];     /**< owning tenant */
  char printer_id[UP_ID_SIZE];    /**< the printer whose queue it is in */
  char *configuration_json;       /**< configuration: printJobConfiguration JSON object text */
  char created_by_id[UP_ID_SIZE]; /**< createdBy.id: the user's oid ("" for none) */
  char *created_by_name;          /**< createdBy.displayName */
  char *created_by_upn;           /**< createdBy.userPrincipalName */
  char *created_by_app;           /**< appid of the client that created it */
  up_time_t created_at;           /**< createdDateTime */
  up_time_t started_at;           /**< when start was called (queue order), UP_TIME_NULL before */
  up_time_t acknowledged_at;      /**< acknowledgedDateTime, UP_TIME_NULL = null */
  up_time_t completed_at;         /**< completedDateTime (beta): when it became terminal */
  up_job_state_t state;           /**< status.state */
  unsigned details;               /**< status.details: UP_JOB_DETAIL_* bits */
  bool is_acquired;               /**< status.isAcquiredByPrinter */
  bool is_fetchable;              /**< isFetchable */
  bool has_error_code;            /**< errorCode is not null */
  int32_t error_code;             /**< errorCode */
  char *redirected_from;          /**< redirectedFrom URL, NULL = null */
  char *redirected_to;            /**< redirectedTo URL, NULL = null */
  up_document_t document;         /**< documents[0] */
} up_job_t;

/** An upload session of a document (reference 3.8, 4.2). */
typedef struct up_upload {
  char id[UP_ID_SIZE];          /**< session id (in the upload URL) */
  char token[48];               /**< the URL's tempauthtoken: 32 random bytes, base64url (43) */
  char tenant_id[UP_ID_SIZE];   /**< owning tenant */
  int64_t job_id;               /**< the job */
  char document_id[UP_ID_SIZE]; /**< the document */
  char *document_name;          /**< printDocumentUploadProperties.documentName */
  char *content_type;           /**< printDocumentUploadProperties.contentType */
  int64_t size;                 /**< printDocumentUploadProperties.size */
  up_time_t expires_at;         /**< expirationDateTime */
  char *received; /**< byte ranges received and durable: "a-b,c-d" (closed), "" none */
} up_upload_t;

typedef struct up_job_list {
  up_job_t *items;
  size_t count;
} up_job_list_t;

void up_job_fini(up_job_t *j);
void up_job_list_fini(up_job_list_t *l);
void up_document_fini(up_document_t *d);
void up_upload_fini(up_upload_t *u);

/** microsoft.graph.printTaskDefinition (pull printing, reference 2.5, 6). */
typedef struct up_task_definition {
  char id[UP_ID_SIZE];        /**< id */
  char tenant_id[UP_ID_SIZE]; /**< owning tenant */
  char *display_name;         /**< displayName */
  char *app_id;               /**< createdBy.appId: the application that created it (owner) */
  char *app_name;             /**< createdBy.displayName */
  up_time_t created_at;       /**< when it was created (list order) */
} up_task_definition_t;

/** microsoft.graph.printTaskTrigger: one per printer. */
typedef struct up_task_trigger {
  char id[UP_ID_SIZE];            /**< id */
  char tenant_id[UP_ID_SIZE];     /**< owning tenant */
  char printer_id[UP_ID_SIZE];    /**< the printer it is attached to */
  char definition_id[UP_ID_SIZE]; /**< definition (navigation) */
  up_time_t created_at;           /**< when it was created */
} up_task_trigger_t;

/** printTaskProcessingState (values as in Graph's enum). */
typedef enum up_task_state {
  UP_TASK_PENDING = 0,
  UP_TASK_PROCESSING = 1,
  UP_TASK_COMPLETED = 2,
  UP_TASK_ABORTED = 3,
} up_task_state_t;

/** microsoft.graph.printTask: created by a trigger for one job. */
typedef struct up_task {
  char id[UP_ID_SIZE];            /**< id */
  char tenant_id[UP_ID_SIZE];     /**< owning tenant */
  char definition_id[UP_ID_SIZE]; /**< definition (contains the task) */
  char trigger_id[UP_ID_SIZE];    /**< trigger (navigation; "" once the trigger is deleted) */
  int64_t job_id;                 /**< the job that triggered it */
  char *parent_url;               /**< parentUrl: the job's absolute URL */
  up_task_state_t state;          /**< status.state */
  char *description;              /**< status.description */
  up_time_t created_at;           /**< when it was created (timeouts, list order) */
} up_task_t;

typedef struct up_task_definition_list {
  up_task_definition_t *items;
  size_t count;
} up_task_definition_list_t;

typedef struct up_task_trigger_list {
  up_task_trigger_t *items;
  size_t count;
} up_task_trigger_list_t;

typedef struct up_task_list {
  up_task_t *items;
  size_t count;
} up_task_list_t;

void up_task_definition_fini(up_task_definition_t *d);
void up_task_definition_list_fini(up_task_definition_list_t *l);
void up_task_trigger_list_fini(up_task_trigger_list_t *l);
void up_task_fini(up_task_t *t);
void up_task_list_fini(up_task_list_t *l);

/** Release the heap members (not the struct itself); safe on zeroed structs and twice. */
void up_printer_fini(up_printer_t *p);
void up_share_fini(up_share_t *s);
void up_operation_fini(up_operation_t *op);
void up_printer_list_fini(up_printer_list_t *l);
void up_share_list_fini(up_share_list_t *l);
void up_member_list_fini(up_member_list_t *l);
void up_operation_list_fini(up_operation_list_t *l);

/** Deep copy; false on allocation failure (dst is then fini'ed and zeroed). */
bool up_printer_copy(up_printer_t *dst, const up_printer_t *src);

#endif
