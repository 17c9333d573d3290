// Writes held back until one read's stanzas have all been handled.
//
// A session does not write a stanza the moment it is queued: whatever else the
// same input queues for it should leave in the same write (one system call, one
// TLS record). Posting the write to the I/O thread achieves that, but the post
// runs behind the input of every other connection the same poll reported, and
// behind the next poll: at a steady message rate, most of a message's time in
// the server. So the read loop opens a batch around the synchronous handling of
// one read's stanzas, and sessions that queue output meanwhile write when it
// closes, once each, in the order they joined.
//
// A batch belongs to one thread and must not span a suspension: a session
// waiting for its own writes would wait for a batch that closes only when it
// resumes, and everyone else's output would wait with it.
#pragma once

#include <memory>
#include <vector>

namespace server {

class batched_writer {
  public:
    // Writes what the session queued (called once per batch it joined).
    virtual void write_now() = 0;

  protected:
    ~batched_writer() = default;
};

class write_batch {
  public:
    // Opens this thread's batch, unless one is open already (then this one is
    // inert, and the outer one writes).
    write_batch();
    // The outermost batch closes, then writes for everyone who joined.
    ~write_batch();
    write_batch(const write_batch&) = delete;
    write_batch& operator=(const write_batch&) = delete;

    // Joins this thread's open batch; false when none is open (and while a
    // closing batch writes), so the caller must write some other way.
    static bool join(std::shared_ptr<batched_writer> w);

  private:
    bool outermost_;
};

}  // namespace server
