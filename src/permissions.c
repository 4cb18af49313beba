/* permissions.c - the one permission table (reference 2 and 11) and its check, which the
 * request pipeline runs for every route before the handler.
 * SPDX-License-Identifier: Apache-2.0 */
#include "uprintd/permissions.h"
#include "uprintd/http.h"
#include "uprintd/router.h"
#include "uprintd/util.h"

#include <string.h>

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Scope lists shared by several sets. */
#define PRINTER_READ_D  L("Printer.Read.All", "Printer.ReadWrite.All", "Printer.FullControl.All")
#define PRINTER_WRITE_D L("Printer.ReadWrite.All", "Printer.FullControl.All")
#define PRINTER_READ_A  L("Printer.Read.All", "Printer.ReadWrite.All")
#define SHARE_READ_D                                                                               \
  L("PrinterShare.ReadBasic.All", "PrinterShare.Read.All", "PrinterShare.ReadWrite.All")
#define JOB_READ_D                                                                                 \
  L("PrintJob.ReadBasic", "PrintJob.Read", "PrintJob.ReadBasic.All", "PrintJob.Read.All",          \
    "PrintJob.ReadWriteBasic", "PrintJob.ReadWrite", "PrintJob.ReadWriteBasic.All",                \
    "PrintJob.ReadWrite.All")
#define JOB_READ_A                                                                                 \
  L("PrintJob.ReadBasic.All", "PrintJob.Read.All", "PrintJob.ReadWriteBasic.All",                  \
    "PrintJob.ReadWrite.All")
#define JOB_CONTENT_D                                                                              \
  L("PrintJob.Read", "PrintJob.Read.All", "PrintJob.ReadWrite", "PrintJob.ReadWrite.All")
#define JOB_CONTENT_A L("PrintJob.Read.All", "PrintJob.ReadWrite.All")
#define JOB_CREATE_P_D                                                                             \
  L("PrintJob.Create", "PrintJob.ReadWriteBasic", "PrintJob.ReadWrite",                            \
    "PrintJob.ReadWriteBasic.All", "PrintJob.ReadWrite.All")
#define JOB_CREATE_S_D                                                                             \
  L("PrintJob.ReadWriteBasic", "PrintJob.ReadWrite", "PrintJob.ReadWriteBasic.All",                \
    "PrintJob.ReadWrite.All")
#define JOB_START_D                                                                                \
  L("PrintJob.Create", "PrintJob.ReadWriteBasic", "PrintJob.ReadWrite",                            \
    "PrintJob.ReadWriteBasic.All", "PrintJob.ReadWrite.All")
#define JOB_CANCEL_D                                                                               \
  L("PrintJob.ReadWriteBasic", "PrintJob.ReadWrite", "PrintJob.ReadWriteBasic.All",                \
    "PrintJob.ReadWrite.All")
#define JOB_UPLOAD_D L("PrintJob.Create", "PrintJob.ReadWrite", "PrintJob.ReadWrite.All")

/* Delegated calls on a printer's jobs also need Get printer; on a share's jobs, Get share
 * (reference 2: "a permission that would let the caller Get that printer or share");
 * application calls need Get printer (reference 2.4). */
#define ON_PRINTER   .delegated_also = PRINTER_READ_D, .application_also = PRINTER_READ_A
#define ON_SHARE     .delegated_also = SHARE_READ_D, .application_also = PRINTER_READ_A
#define ON_PRINTER_D .delegated_also = PRINTER_READ_D /* delegated callers only */
#define ON_SHARE_D   .delegated_also = SHARE_READ_D

const up_perm_t up_perms[UP_PERM_COUNT] = {
    [UP_PERM_OPEN] = {.name = "open"},
    [UP_PERM_PUBLIC] = {.name = "public"},
    /* Printers (reference 2.2): P1-P6 need a Printer Administrator. */
    [UP_PERM_PRINTER_CREATE] = {.name = "printer.create",
                                .delegated = L("Printer.Create", "Printer.ReadWrite.All",
                                               "Printer.FullControl.All"),
                                .admin = true},
    [UP_PERM_PRINTER_LIST] = {.name = "printer.list", .delegated = PRINTER_READ_D, .admin = true},
    [UP_PERM_PRINTER_READ] = {.name = "printer.read",
                              .delegated = PRINTER_READ_D,
                              .application = PRINTER_READ_A,
                              .admin = true},
    [UP_PERM_PRINTER_UPDATE] = {.name = "printer.update",
                                .delegated = PRINTER_WRITE_D,
                                .application = L("Printer.ReadWrite.All"),
                                .admin = true},
    [UP_PERM_PRINTER_DELETE] = {.name = "printer.delete",
                                .delegated = L("Printer.FullControl.All"),
                                .admin = true},
    [UP_PERM_PRINTER_RESTORE] = {.name = "printer.restoreFactoryDefaults",
                                 .delegated = PRINTER_WRITE_D,
                                 .admin = true},
    [UP_PERM_OPERATION_READ] = {.name = "operation.read",
                                .delegated = L("Printer.Create", "Printer.ReadWrite.All",
                                               "Printer.FullControl.All"),
                                .admin = true},
    /* Shares (reference 2.3): management and the allowed lists need a Printer Administrator. */
    [UP_PERM_SHARE_READ] = {.name = "share.read", .delegated = SHARE_READ_D},
    [UP_PERM_SHARE_CREATE] = {.name = "share.create",
                              .delegated = L("PrinterShare.ReadWrite.All"),
                              .admin = true},
    [UP_PERM_SHARE_UPDATE] = {.name = "share.update",
                              .delegated = L("PrinterShare.ReadWrite.All"),
                              .admin = true},
    [UP_PERM_SHARE_MEMBERS_READ] = {.name = "share.allowed.read",
                                    .delegated =
                                        L("PrinterShare.Read.All", "PrinterShare.ReadWrite.All"),
                                    .admin = true},
    [UP_PERM_SHARE_MEMBERS_WRITE] = {.name = "share.allowed.write",
                                     .delegated = L("PrinterShare.ReadWrite.All"),
                                     .admin = true},
    /* Jobs (reference 2.4). Basic scopes never reach content (documents, $value, uploads). */
    [UP_PERM_JOB_READ_PRINTER] = {.name = "job.read (printer)",
                                  .delegated = JOB_READ_D,
                                  .application = JOB_READ_A,
                                  ON_PRINTER},
    [UP_PERM_JOB_READ_SHARE] = {.name = "job.read (share)",
                                .delegated = JOB_READ_D,
                                .application = JOB_READ_A,
                                ON_SHARE},
    [UP_PERM_JOB_CREATE_PRINTER] = {.name = "job.create (printer)",
                                    .delegated = JOB_CREATE_P_D,
                                    .admin = true,
                                    ON_PRINTER_D},
    [UP_PERM_JOB_CREATE_SHARE] = {.name = "job.create (share)",
                                  .delegated = JOB_CREATE_S_D,
                                  ON_SHARE_D},
    [UP_PERM_JOB_START_PRINTER] = {.name = "job.start (printer)",
                                   .delegated = JOB_START_D,
                                   ON_PRINTER_D},
    [UP_PERM_JOB_START_SHARE] = {.name = "job.start (share)", .delegated = JOB_START_D, ON_SHARE_D},
    [UP_PERM_JOB_CANCEL_PRINTER] = {.name = "job.cancel (printer)",
                                    .delegated = JOB_CANCEL_D,
                                    ON_PRINTER_D},
    [UP_PERM_JOB_CANCEL_SHARE] = {.name = "job.cancel (share)",
                                  .delegated = JOB_CANCEL_D,
                                  ON_SHARE_D},
    [UP_PERM_JOB_CONTENT_PRINTER] = {.name = "job.content (printer)",
                                     .delegated = JOB_CONTENT_D,
                                     .application = JOB_CONTENT_A,
                                     ON_PRINTER},
    [UP_PERM_JOB_CONTENT_SHARE] = {.name = "job.content (share)",
                                   .delegated = JOB_CONTENT_D,
                                   .application = JOB_CONTENT_A,
                                   ON_SHARE},
    [UP_PERM_JOB_UPLOAD_PRINTER] = {.name = "job.upload (printer)",
                                    .delegated = JOB_UPLOAD_D,
                                    .application = L("PrintJob.ReadWrite.All"),
                                    ON_PRINTER},
    [UP_PERM_JOB_UPLOAD_SHARE] = {.name = "job.upload (share)",
                                  .delegated = JOB_UPLOAD_D,
                                  ON_SHARE_D},
    /* The pull-print application's operations on held jobs (reference 3.3, 3.6, 3.7). */
    [UP_PERM_JOB_UPDATE] = {.name = "job.update",
                            .application = L("PrintJob.ReadWriteBasic.All",
                                             "PrintJob.ReadWrite.All", "PrintJob.Manage.All"),
                            .application_also = PRINTER_READ_A},
    [UP_PERM_JOB_ABORT] = {.name = "job.abort",
                           .application = L("PrintJob.ReadWriteBasic.All", "PrintJob.Manage.All",
                                            "PrintJob.ReadWrite.All"),
                           .application_also = PRINTER_READ_A},
    [UP_PERM_JOB_REDIRECT] = {.name = "job.redirect",
                              .application = L("PrintJob.Manage.All"),
                              .application_also = PRINTER_READ_A},
    /* Pull printing (reference 2.5, 3.12). */
    [UP_PERM_TASK_DEFINITIONS] = {.name = "taskDefinition",
                                  .application = L("PrintTaskDefinition.ReadWrite.All")},
    [UP_PERM_TRIGGER_READ] = {.name = "taskTrigger.read",
                              .delegated = PRINTER_READ_D,
                              .admin = true},
    [UP_PERM_TRIGGER_WRITE] = {.name = "taskTrigger.write",
                               .delegated = PRINTER_WRITE_D,
                               .admin = true},
    /* This server's control surface of the simulated devices (not Graph). */
    [UP_PERM_DEVICE_CONTROL] = {.name = "device.control",
                                .delegated = PRINTER_WRITE_D,
                                .admin = true},
    /* JSON batching (reference 10.8): any valid token; every request inside the batch is
     * routed, authenticated with the batch's token and checked against its own set. */
    [UP_PERM_BATCH] = {.name = "batch", .any_caller = true},
    /* Simulated faults (not Graph): the rules hit every tenant's requests, so only a Printer
     * Administrator holding the widest printer scope sets them. */
    [UP_PERM_SERVER_FAULTS] = {.name = "server.faults",
                               .delegated = L("Printer.FullControl.All"),
                               .admin = true},
};

/* The first entry of list the caller holds, or NULL. */
static const char *held(const char *const *list, const up_principal_t *who)
{
  for (; list && *list; list++)
    if (up_principal_has_scope(who, *list))
      return *list;
  return NULL;
}

/* "A, B or C" into out. */
static void join(const char *const *list, char *out, size_t len)
{
  size_t n = 0, i = 0;
  out[0] = '\0';
  for (const char *const *p = list; p && *p; p++)
    n++;
  for (const char *const *p = list; p && *p; p++, i++) {
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", *p);
  }
}

static bool is_all(const char *scope)
{
  size_t n = strlen(scope);
  return n > 4 && strcmp(scope + n - 4, ".All") == 0;
}

up_status_t up_perm_check(up_perm_id_t id, const up_principal_t *who, up_grant_t *grant,
                          up_error_t *err)
{
  char names[512];
  grant->all_jobs = false;
  if ((unsigned)id >= UP_PERM_COUNT)
    return up_error_set(err, UP_INTERNAL, NULL, "unknown permission set %d", (int)id);
  const up_perm_t *p = &up_perms[id];
  if (id == UP_PERM_OPEN || id == UP_PERM_PUBLIC || p->any_caller)
    return UP_OK;
  const char *kind = who->is_app ? "application" : "delegated";
  const char *const *accepted = who->is_app ? p->application : p->delegated;
  const char *const *also = who->is_app ? p->application_also : p->delegated_also;
  if (!accepted)
    return up_error_set(err, UP_FORBIDDEN, NULL,
                        "This operation does not support %s permissions: it needs %s.", kind,
                        who->is_app ? "a signed-in user (a delegated token)"
                                    : "an application token (application permissions)");
  const char *got = held(accepted, who);
  if (!got) {
    join(accepted, names, sizeof(names));
    return up_error_set(err, UP_FORBIDDEN, NULL,
                        "Missing permission: the token needs one of the %s permissions %s.", kind,
                        names);
  }
  if (also && !held(also, who)) {
    join(also, names, sizeof(names));
    return up_error_set(err, UP_FORBIDDEN, NULL,
                        "Missing permission: reaching this printer or share also needs one of the "
                        "%s permissions %s.",
                        kind, names);
  }
  bool admin = !who->is_app && up_principal_is_printer_admin(who);
  if (p->admin && !who->is_app && !admin)
    return up_error_set(err, UP_FORBIDDEN, NULL,
                        "The signed-in user must be a Printer Administrator (or a Global "
                        "Administrator) for this operation.");
  /* Own jobs or all: an application, or an administrator with an accepted .All scope. */
  bool any_all = false;
  for (const char *const *s = accepted; *s && !any_all; s++)
    any_all = is_all(*s) && up_principal_has_scope(who, *s);
  grant->all_jobs = any_all && (who->is_app || admin);
  return UP_OK;
}

/* --- the table as documentation --- */

static void md_list(FILE *out, const char *const *list)
{
  if (!list) {
    fputs("—", out);
    return;
  }
  for (const char *const *p = list; *p; p++)
    fprintf(out, "%s%s", p == list ? "" : p == list + 1 ? " / " : ", ", *p);
}

void up_perm_write_markdown(FILE *out, const up_route_t *routes)
{
  fputs("| Method | Path | Set | Delegated (least / higher) | Also (delegated) | Application "
        "(least / "
        "higher) | Also (application) | Administrator |\n"
        "|---|---|---|---|---|---|---|---|\n",
        out);
  for (const up_route_t *r = routes; r->pattern; r++) {
    const up_perm_t *p = &up_perms[r->perm];
    fprintf(out, "| %s | `%s%s` | %s | ", up_method_name(r->method),
            r->versions == UP_API_ROOT                 ? ""
            : r->versions == (UP_API_V1 | UP_API_BETA) ? "/{version}"
            : r->versions == UP_API_BETA               ? "/beta"
                                                       : "/v1.0",
            r->pattern, p->name);
    if (r->perm == UP_PERM_OPEN) {
      fputs("the URL's own token | — | the URL's own token | — | no |\n", out);
      continue;
    }
    if (r->perm == UP_PERM_PUBLIC) {
      fputs("none: anyone | — | none: anyone | — | no |\n", out);
      continue;
    }
    if (p->any_caller) {
      fputs("any valid token | — | any valid token | — | no |\n", out);
      continue;
    }
    md_list(out, p->delegated);
    fputs(" | ", out);
    md_list(out, p->delegated_also);
    fputs(" | ", out);
    md_list(out, p->application);
    fputs(" | ", out);
    md_list(out, p->application_also);
    fprintf(out, " | %s |\n", p->admin ? "yes (delegated)" : "no");
  }
}

static void json_list(FILE *out, const char *key, const char *const *list)
{
  fprintf(out, ",\"%s\":", key);
  if (!list) {
    fputs("null", out);
    return;
  }
  fputc('[', out);
  for (const char *const *p = list; *p; p++)
    fprintf(out, "%s\"%s\"", p == list ? "" : ",", *p);
  fputc(']', out);
}

void up_perm_write_json(FILE *out, const up_route_t *routes)
{
  fputs("[", out);
  for (const up_route_t *r = routes; r->pattern; r++) {
    const up_perm_t *p = &up_perms[r->perm];
    fprintf(out, "%s\n{\"method\":\"%s\",\"pattern\":\"%s\",\"versions\":%u,\"set\":\"%s\"",
            r == routes ? "" : ",", up_method_name(r->method), r->pattern, r->versions, p->name);
    fprintf(out, ",\"open\":%s",
            r->perm == UP_PERM_OPEN || r->perm == UP_PERM_PUBLIC ? "true" : "false");
    fprintf(out, ",\"anyCaller\":%s", p->any_caller ? "true" : "false");
    json_list(out, "delegated", p->delegated);
    json_list(out, "delegatedAlso", p->delegated_also);
    json_list(out, "application", p->application);
    json_list(out, "applicationAlso", p->application_also);
    fprintf(out, ",\"admin\":%s}", p->admin ? "true" : "false");
  }
  fputs("\n]\n", out);
}
