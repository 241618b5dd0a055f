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

// Keys (exact, or prefixes ending in '.') that a daemon reads only at its start: after a reload they keep
// their old value until it restarts. all_restart_keys() are those of every daemon together (EAL, ports,
// listeners...); each daemon's own list (config/daemon/restart_keys.h) names the ones it uses, some of
// which others apply live. Every key a list names must be covered by held_back_keys().
using RestartKeys = std::vector<std::string_view>;
RestartKeys all_restart_keys();

// The changed keys a running daemon cannot apply live.
std::vector<std::string> restart_required(const Config& old_config, const Config& new_config,
                                          const RestartKeys& keys = all_restart_keys());

// What a running daemon can switch to without a restart: `next`, except that every restart key keeps its
// value from `running`.
Config live_applicable(const Config& running, const Config& next,
                       const RestartKeys& keys = all_restart_keys());

// True if changing `key` takes a restart.
bool needs_restart(std::string_view key, const RestartKeys& keys = all_restart_keys());

// The keys (or sections, ending in '.') a daemon's list may name: those live_applicable() can hold back.
std::vector<std::string_view> held_back_keys();

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
