// The way back from dijk::Config to TOML: for `dijkctl config show`, for comparing two configs key by key
// (what a reload changed, and which of those changes only take effect after a restart), and for editing one
// key of a config file in place without disturbing its comments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/schema/config.h"

namespace dijk {

// The whole config as a TOML document (every key, defaults included).
std::string render_toml(const Config& config);

// Every leaf key as ("dataplane.eal.memory_mb", "1024"), values in TOML syntax, in document order.
std::vector<std::pair<std::string, std::string>> flatten(const Config& config);

// Keys whose value differs between the two.
std::vector<std::string> changed_keys(const Config& old_config, const Config& new_config);

// The changed keys that the running daemons cannot apply live (EAL, ports, lcores, listeners...): after a
// reload they keep their old value until the daemon restarts.
std::vector<std::string> restart_required(const Config& old_config, const Config& new_config);

// What a running daemon can switch to without a restart: `next`, except that every restart-only key keeps
// its value from `running`.
Config live_applicable(const Config& running, const Config& next);

// True if changing `key` takes a restart.
bool needs_restart(std::string_view key);

// The keys `dijkctl config set` can change (all leaves except the ports array of tables).
std::vector<std::string> settable_keys();

struct EditResult {
  std::string text;   // the edited document, when error is empty
  std::string error;  // why the edit was refused
};

// Sets dotted `key` to `value` in the TOML document `text`, touching only that value (or adding one line).
// `value` is taken as a TOML value if it parses as one (42, true, [80, 8080], "x"), else as a bare string.
// The edited text is not validated here: the caller loads it and refuses it if it has errors.
EditResult set_key_in_text(std::string_view text, std::string_view key, std::string_view value);

// The closest settable key, for "did you mean".
std::optional<std::string> closest_key(std::string_view key);

}  // namespace dijk
