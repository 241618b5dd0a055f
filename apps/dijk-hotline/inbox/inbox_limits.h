#pragma once
// What the inbox lets one client take, so that nobody who reaches its port can starve the others:
// serving slots for authenticated connections (in total and per appliance), and the memory request bodies
// may hold at once. Thread-safe; connection threads take and give back.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace dijk::inbox {

// Serving slots, given out after the TLS handshake, when the appliance's identity is known. A per-appliance
// cap (not a per-address one) because many appliances may share one address behind NAT, while one appliance
// never needs more than a couple of connections: a misbehaving or stolen identity takes only its share.
class ServingSlots {
 public:
  enum class Grant { granted, full, appliance_full };
  ServingSlots(std::size_t total, std::size_t per_appliance) : total_(total), per_appliance_(per_appliance) {}
  Grant acquire(const std::string& appliance);
  void release(const std::string& appliance);
  std::size_t in_use() const;

 private:
  mutable std::mutex mutex_;
  std::size_t total_, per_appliance_;
  std::size_t used_ = 0;
  std::map<std::string, std::size_t> per_appliance_used_;
};

// Bytes of request bodies held at once, reserved from the Content-Length before the body is read and kept
// until the report is stored. Parsing a body takes a few times its size more, for as long as it is held.
class BodyBudget {
 public:
  explicit BodyBudget(std::uint64_t capacity) : capacity_(capacity) {}
  std::uint64_t capacity() const { return capacity_; }
  bool try_reserve(std::uint64_t bytes);
  void release(std::uint64_t bytes);
  std::uint64_t in_use() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
};

// A reservation given back when it goes out of scope.
class BodyReservation {
 public:
  BodyReservation(BodyBudget& budget, std::uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  ~BodyReservation() { budget_.release(bytes_); }
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;

 private:
  BodyBudget& budget_;
  std::uint64_t bytes_;
};

}  // namespace dijk::inbox
