// dijkctl config validate|show|set|confirm|reload|undo. Validation runs locally; the rest goes through
// dijkd's admin socket, which edits the file, applies it, and reverts an unconfirmed change when its window
// closes; dijk-control, reading the same file, follows each change with a reload.
#include <algorithm>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "apps/dijkctl/admin_link.h"
#include "apps/dijkctl/verbs.h"
#include "config/schema/loader.h"

namespace dijk::ctl {
namespace {

using nlohmann::json;

int run_validate(const cli::ParsedArgs& args) {
  if (args.positional().size() > 1) throw cli::UsageError("one file at most");
  const std::string file = args.positional().empty() ? config_path(args) : args.positional()[0];
  const auto result = load_config_file(file);
  if (args.flag("--json")) {
    json errors = json::array();
    for (const auto& e : result.errors) {
      errors.push_back(
          {{"line", e.line}, {"column", e.column}, {"message", e.message}, {"text", e.to_string()}});
    }
    print_json({{"file", file}, {"ok", result.ok()}, {"errors", errors}});
  } else if (result.ok()) {
    std::cout << file << ": OK\n";
  } else {
    std::cout << result.error_text() << result.errors.size() << " error"
              << (result.errors.size() == 1 ? "" : "s") << " in " << file << "\n";
  }
  return result.ok() ? cli::kExitOk : cli::kExitFound;
}

int run_show(const cli::ParsedArgs& args) {
  const auto result = call(dataplane_socket(args), "config.show");
  if (args.flag("--json")) {
    print_json(result);
    return cli::kExitOk;
  }
  std::cout << "# running config of " << result.value("path", std::string("?")) << "\n";
  if (result.contains("pending_confirm_ms") && result["pending_confirm_ms"].is_number()) {
    std::cout << "# an unconfirmed change is reverted in "
              << result["pending_confirm_ms"].get<std::uint64_t>() / 1000
              << "s unless `dijkctl config confirm`\n";
  }
  const auto waiting = result.value("restart_pending", json::array());
  if (!waiting.empty()) {
    std::cout << "# the file also changes, from the next restart:";
    for (const auto& k : waiting) std::cout << " " << k.get<std::string>();
    std::cout << "\n";
  }
  std::cout << result.value("toml", std::string()) << "\n";
  return cli::kExitOk;
}

// What changed, and which daemons wait for a restart to use which key: each daemon answers for the keys it
// reads only at its start (dijkd for its pipelines, dijk-check for its listeners...), `followers` are the
// other daemons' answers to their reload.
void print_change(const json& change, const std::string& daemon, const json& followers = json::object()) {
  const auto changed = change.value("changed", json::array());
  if (changed.empty()) {
    std::cout << "no change: the running config already has that value\n";
    return;
  }
  for (const auto& k : changed) std::cout << "changed " << k.get<std::string>() << "\n";
  std::vector<std::pair<std::string, std::vector<std::string>>> waiting;  // key -> daemons, in key order
  std::vector<std::string> daemons;
  const auto note = [&](const std::string& asked, const json& answer) {
    if (!answer.is_object()) return;
    const std::string name = answer.value("daemon", asked);  // its own name, also when asked by --socket
    for (const auto& k : answer.value("restart_required", json::array())) {
      const std::string key = k.get<std::string>();
      auto it = std::find_if(waiting.begin(), waiting.end(), [&](const auto& w) { return w.first == key; });
      if (it == waiting.end()) it = waiting.insert(waiting.end(), {key, {}});
      it->second.push_back(name);
      if (std::find(daemons.begin(), daemons.end(), name) == daemons.end()) daemons.push_back(name);
    }
  };
  note(daemon, change);
  for (const auto& [name, answer] : followers.items()) note(name, answer);
  if (waiting.empty()) return;
  std::cout << "restart needed for:";
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    std::cout << (i == 0 ? " " : ", ") << waiting[i].first << " (";
    for (std::size_t d = 0; d < waiting[i].second.size(); ++d)
      std::cout << (d ? ", " : "") << waiting[i].second[d];
    std::cout << ")";
  }
  std::cout << "\n  (saved in the file, but until `systemctl restart";
  for (const auto& d : daemons) std::cout << " " << d;
  std::cout << "` they keep the old value)\n";
}

// The other daemons read the same file: each reloads after dijkd changed it (and reverts with the same
// window). dijk-watch and dijk-check are asked only when they run.
json follow(const cli::ParsedArgs& args, const json& reload) {
  json followers = json::object();
  const auto leader = dataplane_socket(args).path;
  const std::size_t required = daemon_sockets(args).size();
  const auto sockets = every_daemon_socket(args);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    const auto& s = sockets[i];
    if (s.path == leader) continue;
    try {
      followers[s.daemon] = call(s, "config.reload", reload);
    } catch (const DaemonDown& e) {
      if (i >= required) continue;  // not running: it reads the file when it starts
      followers[s.daemon] = {{"error", e.what()}};
      if (!args.flag("--json")) std::cerr << "warning: " << e.what() << "\n";
    } catch (const std::exception& e) {
      followers[s.daemon] = {{"error", e.what()}};
      if (!args.flag("--json")) std::cerr << "warning: " << e.what() << "\n";
    }
  }
  return followers;
}

int run_set(const cli::ParsedArgs& args) {
  const auto& words = args.positional();
  if (words.empty() || words.size() % 2 != 0) throw cli::UsageError("wants KEY VALUE [KEY VALUE...]");
  json settings = json::array();
  for (std::size_t i = 0; i < words.size(); i += 2)
    settings.push_back({{"key", words[i]}, {"value", words[i + 1]}});
  json request{{"settings", settings}};
  std::optional<std::uint64_t> window;
  if (auto w = args.value("--confirm-within")) {
    window = parse_window(*w);
    request["confirm_within_ms"] = *window;
  }
  const auto change = call(dataplane_socket(args), "config.set", request);
  json reload = json::object();
  if (window) reload["confirm_within_ms"] = *window;
  const json followers = follow(args, reload);
  if (args.flag("--json")) {
    json out = change;
    if (!followers.empty()) out["followers"] = followers;
    print_json(out);
    return cli::kExitOk;
  }
  print_change(change, dataplane_socket(args).daemon, followers);
  if (window) {
    std::cout << "keep it with `dijkctl config confirm` within " << static_cast<double>(*window) / 1000.0
              << "s, or it is reverted automatically\n";
  }
  return cli::kExitOk;
}

int run_confirm(const cli::ParsedArgs& args) {
  const auto primary = dataplane_socket(args);
  const auto result = call(primary, "config.confirm");
  // Every daemon that followed the change with the same window (follow()), or it reverts.
  for (const auto& s : every_daemon_socket(args)) {
    if (s.path == primary.path) continue;
    try {
      call(s, "config.confirm");
    } catch (const std::exception&) {
      // A follower that had nothing pending (it was down, or reloaded without a window) is fine.
    }
  }
  if (args.flag("--json")) {
    print_json(result);
  } else {
    std::cout << "confirmed: the change stays\n";
  }
  return cli::kExitOk;
}

int run_reload(const cli::ParsedArgs& args) {
  // Each daemon re-reads the file; one with errors in it keeps running on its previous config.
  json all = json::object();
  int status = cli::kExitOk;
  const std::size_t required =
      daemon_sockets(args).size();  // dijkd and dijk-control; the others when they run
  const auto sockets = every_daemon_socket(args);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    const auto& s = sockets[i];
    try {
      all[s.daemon] = call(s, "config.reload");
      if (!args.flag("--json")) {
        std::cout << s.daemon << ": ";
        print_change(all[s.daemon], s.daemon);
      }
    } catch (const DaemonDown& e) {
      if (i >= required) continue;
      all[s.daemon] = {{"error", e.what()}};
      status = cli::kExitError;
      if (!args.flag("--json")) std::cerr << e.what() << "\n";
    } catch (const std::exception& e) {
      all[s.daemon] = {{"error", e.what()}};
      status = cli::kExitError;
      if (!args.flag("--json")) std::cerr << e.what() << "\n";
    }
  }
  if (args.flag("--json")) print_json(all);
  return status;
}

int run_undo(const cli::ParsedArgs& args) {
  const auto change = call(dataplane_socket(args), "config.undo");
  const json followers = follow(args, {{"undo", true}});
  if (args.flag("--json")) {
    json out = change;
    if (!followers.empty()) out["followers"] = followers;
    print_json(out);
    return cli::kExitOk;
  }
  std::cout << "undone: the file is back as it was before the last change\n";
  print_change(change, dataplane_socket(args).daemon, followers);
  return cli::kExitOk;
}

}  // namespace

std::vector<cli::Verb> config_verbs() {
  return {
      {"config validate",
       "check a config file, every error with file:line:column",
       "config validate [--json] [FILE]",
       "Checks FILE (default: --config, $DIJK_CONFIG or /etc/dijk/dijk.toml) without touching the daemons. "
       "Exits 0 if valid, 1 if not; every error is listed, with a \"did you mean\" for misspelt keys.",
       {{"--json", false, "machine-readable output"},
        {"--config", true, "the file to check when FILE is not given", "FILE"}},
       run_validate},
      {"config show", "the running config, every key", "config show [--json]",
       "The config dijkd is running on (defaults included), which can differ from the file until a reload.",
       daemon_options(), run_show},
      {"config set", "change keys: validated together, written atomically, reloaded",
       "config set KEY VALUE [KEY VALUE...] [--confirm-within 60s] [--json]",
       "Sets KEY (e.g. dataplane.flow_table_cap, hashing.pdq) to VALUE in the config file. VALUE is TOML "
       "(42, true, [80, 8080], \"text\"); a bare word is taken as a string. Several pairs change together "
       "(feed.client_cert and feed.client_key): one edit, one validation, one write. The whole file is "
       "validated first: a bad value is refused and the file left as it was. The change is applied at once; "
       "keys that need a restart (EAL, ports, lcores, listeners) are listed. With --confirm-within, the "
       "change is reverted unless `dijkctl config confirm` follows in time.",
       daemon_options({{"--confirm-within", true, "revert unless confirmed within this time (60s, 2m, 500ms)",
                        "DURATION"}}),
       run_set},
      {"config confirm", "keep a change made with --confirm-within", "config confirm [--json]",
       "Cancels the automatic revert of the last `config set --confirm-within`.", daemon_options(),
       run_confirm},
      {"config reload", "re-read the config file (after editing it by hand)", "config reload [--json]",
       "Both daemons re-read the file and apply what changed, like SIGHUP. A file with errors is refused "
       "(each error with file:line:column) and the daemons keep their running config.",
       daemon_options(), run_reload},
      {"config undo", "put back the file as it was before the last change", "config undo [--json]",
       "Writes back the config file as it was before the last set, reload or undo and applies it; a change "
       "waiting for confirmation is dropped. One step only, like birdc's `configure undo`.",
       daemon_options(), run_undo},
  };
}

}  // namespace dijk::ctl
