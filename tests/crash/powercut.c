/* powercut.c - an LD_PRELOAD library for the crash tests that keeps, beside a server's data
 * folder, an image of what a power cut would leave of it: only what was fsynced.
 *
 * The model (what a journaling file system such as ext4 guarantees, and no more):
 *  - fsync or fdatasync of a file makes its content at that moment durable, and its name too
 *    (a new file's directory entry goes with the journal commit of its first fsync);
 *  - fsync of a directory makes its entries durable as they are (creations, renames and
 *    unlinks done since);
 *  - nothing else is durable: writes, renames and unlinks that no fsync covered are lost.
 *
 * POWERCUT_DIR is the data folder (absolute), POWERCUT_IMAGE a folder for the image:
 *   IMAGE/inodes/INO      the content of inode INO at its last fsync
 *   IMAGE/entries/NAME    a symbolic link to IMAGE/inodes/INO: NAME is the path under the data
 *                         folder with '/' written as '%'
 * Every update is a rename, so a SIGKILL at any moment leaves a consistent image. The crash
 * driver (crash.py --powercut) turns the image back into a data folder after a kill.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

/* The data folder's path of fd, relative ("" for the folder itself); false when outside. */
static bool relative_path(int fd, char *rel, size_t len, char *abs, size_t abslen)
{
  const char *dir = getenv("POWERCUT_DIR");
  char link[64];
  if (!dir || !getenv("POWERCUT_IMAGE"))
    return false;
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, abs, abslen - 1);
  if (n <= 0)
    return false;
  abs[n] = '\0';
  size_t dl = strlen(dir);
  if (strncmp(abs, dir, dl) != 0 || (abs[dl] != '/' && abs[dl] != '\0'))
    return false;
  snprintf(rel, len, "%s", abs[dl] == '/' ? abs + dl + 1 : "");
  return true;
}

/* IMAGE/entries/NAME for a relative path. */
static void entry_path(const char *rel, char *out, size_t len)
{
  int n = snprintf(out, len, "%s/entries/", getenv("POWERCUT_IMAGE"));
  for (const char *p = rel; *p && n > 0 && (size_t)n + 1 < len; p++)
    out[n++] = *p == '/' ? '%' : *p;
  out[n > 0 && (size_t)n < len ? n : 0] = '\0';
}

/* Points the entry of rel at the snapshot of ino (a rename: atomic). */
static void set_entry(const char *rel, ino_t ino)
{
  char target[PATH_MAX], entry[PATH_MAX], tmp[PATH_MAX + 8];
  snprintf(target, sizeof(target), "%s/inodes/%lu", getenv("POWERCUT_IMAGE"), (unsigned long)ino);
  entry_path(rel, entry, sizeof(entry));
  snprintf(tmp, sizeof(tmp), "%s.tmp", entry);
  unlink(tmp);
  if (symlink(target, tmp) == 0)
    rename(tmp, entry);
}

/* Copies the current content of the file at abs into the snapshot of ino. */
static void snapshot(const char *abs, ino_t ino)
{
  char snap[PATH_MAX], tmp[PATH_MAX + 8], buf[65536];
  snprintf(snap, sizeof(snap), "%s/inodes/%lu", getenv("POWERCUT_IMAGE"), (unsigned long)ino);
  snprintf(tmp, sizeof(tmp), "%s.tmp", snap);
  int in = open(abs, O_RDONLY | O_CLOEXEC), out = -1;
  if (in >= 0)
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = in >= 0 && out >= 0;
  ssize_t n;
  while (ok && (n = read(in, buf, sizeof(buf))) > 0)
    ok = write(out, buf, (size_t)n) == n;
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  if (ok)
    rename(tmp, snap);
  else
    unlink(tmp);
}

/* A directory's entries become what they are now: files it holds point at their inode's
 * snapshot (an empty one when the file was never synced); entries it lost go. */
static void sync_directory(const char *rel, const char *abs)
{
  char image_entries[PATH_MAX], prefix[PATH_MAX], child[2 * PATH_MAX + 300],
      childabs[2 * PATH_MAX + 300];
  DIR *d = opendir(abs);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    struct stat sb;
    snprintf(childabs, sizeof(childabs), "%s/%s", abs, e->d_name);
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || lstat(childabs, &sb) != 0 ||
        !S_ISREG(sb.st_mode))
      continue;
    snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    char snap[PATH_MAX];
    snprintf(snap, sizeof(snap), "%s/inodes/%lu", getenv("POWERCUT_IMAGE"),
             (unsigned long)sb.st_ino);
    if (access(snap, F_OK) != 0) {
      int fd = open(snap, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0)
        close(fd);
    }
    set_entry(child, sb.st_ino);
  }
  if (d)
    closedir(d);
  /* Entries of this directory (and not of a subdirectory) whose file is gone. */
  snprintf(image_entries, sizeof(image_entries), "%s/entries", getenv("POWERCUT_IMAGE"));
  entry_path(*rel ? rel : "", prefix, sizeof(prefix));
  const char *pfx = strrchr(prefix, '/') + 1; /* NAME part: "documents" or "" */
  size_t pl = strlen(pfx);
  d = opendir(image_entries);
  while (d && (e = readdir(d))) {
    const char *name = e->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    const char *rest = name;
    if (pl) {
      if (strncmp(name, pfx, pl) != 0 || name[pl] != '%')
        continue;
      rest = name + pl + 1;
    }
    if (strchr(rest, '%') || strstr(rest, ".tmp"))
      continue;
    snprintf(childabs, sizeof(childabs), "%s/%s", abs, rest);
    struct stat sb;
    if (lstat(childabs, &sb) != 0) {
      snprintf(child, sizeof(child), "%s/%s", image_entries, name);
      unlink(child);
    }
  }
  if (d)
    closedir(d);
}

static void record(int fd)
{
  char rel[PATH_MAX], abs[PATH_MAX];
  struct stat sb;
  int saved = errno;
  if (!relative_path(fd, rel, sizeof(rel), abs, sizeof(abs)) || fstat(fd, &sb) != 0) {
    errno = saved;
    return;
  }
  pthread_mutex_lock(&lock);
  if (S_ISREG(sb.st_mode)) {
    snapshot(abs, sb.st_ino);
    set_entry(rel, sb.st_ino);
  } else if (S_ISDIR(sb.st_mode)) {
    sync_directory(rel, abs);
  }
  pthread_mutex_unlock(&lock);
  errno = saved;
}

int fsync(int fd)
{
  if (!real_fsync)
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int r = real_fsync(fd);
  if (r == 0)
    record(fd);
  return r;
}

int fdatasync(int fd)
{
  if (!real_fdatasync)
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int r = real_fdatasync(fd);
  if (r == 0)
    record(fd);
  return r;
}
