/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the libconductor IPC stream decoder.  The input is a byte
 * stream as it arrives on the SSH channel: frames are cut with
 * conductor_frame_length() and decoded; every frame that decodes is encoded
 * again and must decode to the same message (round trip).  Alarms that
 * decode are fed to an outbox and a duplicate filter with timestamps taken
 * from the input, so the state machines see hostile sequence numbers too.
 * The filter must never report as seen a seq it was not given (that would
 * be an acknowledgement without a stored row).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <conductor/conductor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MARKS 4096

static int was_marked(const uint64_t *marks, size_t n, uint64_t seq) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (marks[i] == seq) {
      return 1;
    }
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t out[CONDUCTOR_MAX_FRAME_LEN];
  conductor_outbox *ob = NULL;
  conductor_dedup dd;
  conductor_msg m, m2;
  static uint64_t marks[MAX_MARKS];
  size_t nmarks = 0;
  size_t off = 0;
  uint64_t ts = 0;

  if (conductor_outbox_new(&ob, NULL, NULL) != 0) {
    abort();
  }
  conductor_dedup_init(&dd);
  conductor_outbox_connected(ob, 0);
  while (off < size) {
    conductor_ssize flen = conductor_frame_length(data + off, size - off);
    int rv;
    if (flen <= 0 || (size_t)flen > size - off) {
      break; /* incomplete or framing lost: a connection would close */
    }
    memset(&m, 0, sizeof m);
    memset(&m2, 0, sizeof m2);
    rv = conductor_msg_decode(&m, data + off, (size_t)flen);
    if (rv == 0) {
      conductor_ssize n = conductor_msg_encode(out, sizeof out, &m);
      if (n <= 0 || conductor_msg_decode(&m2, out, (size_t)n) != 0 ||
          memcmp(&m, &m2, sizeof m) != 0) {
        abort(); /* decode(encode(decode(x))) must equal decode(x) */
      }
      if (m.type == CONDUCTOR_MSG_ALARM) {
        conductor_alarm a = m.alarm;
        if (strcmp(m2.alarm.message, m.alarm.message) != 0) {
          abort();
        }
        ts += m.alarm.time_ns % 1000000000ULL;
        conductor_dedup_mark(&dd, a.seq);
        if (nmarks < MAX_MARKS) {
          const uint64_t probe[5] = {a.seq, a.seq - 1, a.seq + 1, 1,
                                     m.alarm.time_ns};
          size_t k;
          marks[nmarks++] = a.seq;
          for (k = 0; k < 5; k++) {
            if (conductor_dedup_seen(&dd, probe[k]) &&
                !was_marked(marks, nmarks, probe[k])) {
              abort(); /* "seen" without a mark: an ack without a row */
            }
          }
          /* a mark inside the window is remembered */
          if (a.seq > dd.floor && !conductor_dedup_seen(&dd, a.seq)) {
            abort();
          }
        }
        conductor_outbox_push(ob, &a);
        conductor_outbox_next(ob, ts);
        conductor_outbox_handle_expiry(ob, ts);
      } else if (m.type == CONDUCTOR_MSG_ALARM_ACK) {
        conductor_outbox_ack(ob, m.seq);
      }
    } else if (rv > CONDUCTOR_ERR_FATAL && rv >= 0) {
      abort();
    }
    off += (size_t)flen;
  }
  conductor_outbox_del(ob);
  return 0;
}
