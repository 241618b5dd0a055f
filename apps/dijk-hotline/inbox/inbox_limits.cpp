#include "apps/dijk-hotline/inbox/inbox_limits.h"

namespace dijk::inbox {

ServingSlots::Grant ServingSlots::acquire(const std::string& appliance) {
  std::lock_guard lock(mutex_);
  if (used_ >= total_) return Grant::full;
  std::size_t& mine = per_appliance_used_[appliance];
  if (mine >= per_appliance_) {
    if (mine == 0) per_appliance_used_.erase(appliance);
    return Grant::appliance_full;
  }
  ++mine;
  ++used_;
  return Grant::granted;
}

void ServingSlots::release(const std::string& appliance) {
  std::lock_guard lock(mutex_);
  const auto it = per_appliance_used_.find(appliance);
  if (it == per_appliance_used_.end()) return;
  --used_;
  if (--it->second == 0) per_appliance_used_.erase(it);
}

std::size_t ServingSlots::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

bool BodyBudget::try_reserve(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > capacity_ - used_) return false;
  used_ += bytes;
  return true;
}

void BodyBudget::release(std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  used_ -= bytes;
}

std::uint64_t BodyBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return used_;
}

}  // namespace dijk::inbox
