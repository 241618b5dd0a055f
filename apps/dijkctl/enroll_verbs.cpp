// dijkctl enroll request|install: the appliance's side of enrollment (docs/enrollment.md). `request` makes
// the appliance's private key, which never leaves the box, and a certificate request for the hotline;
// `install` applies the bundle the hotline sends back: it checks the certificate is for that key, writes
// the certificate and CAs beside the key, and points dijk.toml at them in one atomic replacement.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "apps/dijkctl/admin_link.h"
#include "apps/dijkctl/verbs.h"
#include "config/schema/loader.h"
#include "config/schema/render.h"
#include "config/schema/whole_file.h"
#include "control/enroll/bundle.h"
#include "control/enroll/pki.h"
#include "control/feed/files.h"
#include "core/durable_file.h"

namespace dijk::ctl {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kMaxKeyBytes = 64 * 1024;
constexpr const char* kPendingKey = "pending.key";  // made by `request`, moved into use by `install`
constexpr const char* kRequest = "request.csr";

// The valid config the verbs work from: enrollment writes into it, so a broken one is fixed first.
Config load_valid_config(const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error("no config file at " + path + " (--config FILE)");
  const auto loaded = load_config_file(path);
  if (!loaded.ok()) throw std::runtime_error("fix the config first:\n" + loaded.error_text());
  return loaded.config;
}

// The enrollment directory: --dir, else paths.state/enroll, beside the appliance's other secrets. Its
// path goes into dijk.toml, so it must be one the config takes as it is.
fs::path enroll_dir(const cli::ParsedArgs& args, const Config& config) {
  const fs::path dir =
      args.value("--dir") ? fs::path(*args.value("--dir")) : fs::path(config.paths.state) / "enroll";
  const std::string text = dir.string();
  if (!dir.is_absolute() || text.find_first_of("\"\\\n\r\t") != std::string::npos) {
    throw cli::UsageError("--dir must be an absolute path without quotes, backslashes or control characters");
  }
  return dir;
}

// Run as root, files made here are handed to whoever owns paths.state (the daemons' user), so that
// dijk-control can read its key; otherwise they stay the caller's.
class StateOwner {
 public:
  explicit StateOwner(const Config& config) {
    struct stat st {};
    active_ = ::geteuid() == 0 && ::stat(config.paths.state.c_str(), &st) == 0 && st.st_uid != 0;
    uid_ = st.st_uid;
    gid_ = st.st_gid;
  }
  void give(const fs::path& path) const {
    if (active_ && ::chown(path.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("cannot hand " + path.string() + " to the daemons' user");
    }
  }

 private:
  bool active_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

void make_private_dir(const fs::path& dir, const StateOwner& owner) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);
  owner.give(dir);
}

int run_request(const cli::ParsedArgs& args) {
  const Config config = load_valid_config(config_path(args));
  const std::string id = args.value("--id").value_or(config.appliance_id);
  if (!enroll::valid_appliance_id(id)) {
    throw cli::UsageError("'" + id +
                          "' is not a valid appliance id (1 to 64 of letters, digits, '.', '_', '-')");
  }
  if (id == Config{}.appliance_id && !args.value("--id")) {
    throw cli::UsageError("appliance_id is still \"" + id +
                          "\": name the appliance (--id ID, or appliance_id in " + config_path(args) + ")");
  }
  const fs::path dir = enroll_dir(args, config);
  const StateOwner owner(config);
  make_private_dir(dir, owner);
  const fs::path key_file = dir / kPendingKey;
  enroll::KeyPtr key;
  // A request made again (lost, or for another id) reuses the waiting key unless told otherwise, so a
  // bundle signed for the first request still installs.
  if (fs::exists(key_file) && !args.flag("--new-key")) {
    key = enroll::read_private_key_pem(feed::read_text_file(key_file.string(), kMaxKeyBytes),
                                       key_file.string());
  } else {
    key = enroll::generate_key();
    write_file_durably(key_file, enroll::private_key_pem(key.get()), 0600);
    owner.give(key_file);
  }
  const std::string request = enroll::make_request_pem(key.get(), id);
  const fs::path request_file = dir / kRequest;
  write_file_durably(request_file, request, 0644);
  owner.give(request_file);
  if (args.flag("--json")) {
    print_json({{"appliance_id", id}, {"key", key_file.string()}, {"request", request_file.string()}});
    return cli::kExitOk;
  }
  std::cout << "key:     " << key_file.string() << " (mode 0600; it never leaves this appliance)\n"
            << "request: " << request_file.string() << " for appliance " << id << "\n\n"
            << request << "\nSend the request to the hotline; install the bundle it sends back with\n"
            << "  dijkctl enroll install BUNDLE\n";
  return cli::kExitOk;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The config text with every (key, value) set, checked as a whole.
std::string edited_config(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& keys) {
  const auto original = read_whole_file(path);
  if (!original) throw std::runtime_error("cannot read " + path);
  std::string text = *original;
  // Each new key goes in at the top of its table: set in reverse, they read in the order given.
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    const auto& [key, value] = *it;
    auto edit = set_key_in_text(text, key, toml_string(value));
    if (!edit.error.empty())
      throw std::runtime_error("cannot set " + key + " in " + path + ": " + edit.error);
    text = std::move(edit.text);
  }
  const auto check = load_config_text(text, path);
  if (!check.ok()) throw std::runtime_error("the enrolled config would not be valid:\n" + check.error_text());
  return text;
}

// Replaces the config file at once, keeping its mode and (when root) its owner and group.
void replace_config(const std::string& path, const std::string& text) {
  struct stat before {};
  const bool existed = ::stat(path.c_str(), &before) == 0;
  write_file_durably(path, text, existing_mode_or(path, 0640));
  if (existed && ::geteuid() == 0 && ::chown(path.c_str(), before.st_uid, before.st_gid) != 0) {
    throw std::runtime_error("cannot give " + path + " back its owner");
  }
}

int run_install(const cli::ParsedArgs& args) {
  if (args.positional().size() != 1) throw cli::UsageError("wants one bundle file");
  const std::string bundle_file = args.positional()[0];
  const std::string config_file = config_path(args);
  const Config config = load_valid_config(config_file);
  const auto bundle = enroll::parse_bundle(feed::read_text_file(bundle_file, enroll::kMaxBundleBytes));
  const fs::path dir = enroll_dir(args, config);
  const fs::path key_file = dir / kPendingKey;
  if (!fs::exists(key_file)) {
    throw std::runtime_error("no key waiting in " + dir.string() + ": run `dijkctl enroll request` first");
  }
  const auto key =
      enroll::read_private_key_pem(feed::read_text_file(key_file.string(), kMaxKeyBytes), key_file.string());
  const auto cert = enroll::read_certificate_pem(bundle.certificate, bundle_file);
  if (!enroll::certificate_matches_key(cert.get(), key.get())) {
    throw std::runtime_error(bundle_file + ": its certificate is not for this appliance's key (" +
                             key_file.string() +
                             "); it was signed for another request. Nothing was changed.");
  }

  // Every file gets the certificate's serial in its name: a new enrollment never overwrites the files the
  // running config still points at, and the config's replacement switches to the new set at once.
  const std::string serial = enroll::serial_hex(X509_get0_serialNumber(cert.get()));
  const StateOwner owner(config);
  const auto put = [&](const std::string& name, const std::string& text, unsigned mode) {
    const fs::path file = dir / name;
    write_file_durably(file, text, mode);
    owner.give(file);
    return file.string();
  };
  std::vector<std::pair<std::string, std::string>> keys = {
      {"appliance_id", bundle.appliance_id},
      {"reporting.url", bundle.inbox_url},
      {"reporting.client_cert", put("appliance-" + serial + ".crt", bundle.certificate, 0644)},
      {"reporting.client_key", put("appliance-" + serial + ".key", enroll::private_key_pem(key.get()), 0600)},
      {"reporting.ca", put("inbox-ca-" + serial + ".pem", bundle.inbox_ca, 0644)},
  };
  put("appliance-ca-" + serial + ".pem", bundle.ca_chain, 0644);
  if (!bundle.feed_url.empty()) {
    keys.emplace_back("feed.url", bundle.feed_url);
    keys.emplace_back("feed.name", bundle.feed_name);
    keys.emplace_back("feed.root_key",
                      put("feed-root-" + serial + ".pub", bundle.feed_root_key + "\n", 0644));
    keys.emplace_back("feed.ca", bundle.feed_ca.empty()
                                     ? std::string()
                                     : put("feed-ca-" + serial + ".pem", bundle.feed_ca, 0644));
  }
  replace_config(config_file, edited_config(config_file, keys));
  fs::remove(key_file);
  fs::remove(dir / kRequest);

  std::vector<std::string> restart;
  for (const auto& [k, v] : keys) {
    if (needs_restart(k)) restart.push_back(k);
  }
  if (args.flag("--json")) {
    nlohmann::json set = nlohmann::json::object();
    for (const auto& [k, v] : keys) set[k] = v;
    print_json({{"appliance_id", bundle.appliance_id},
                {"serial", serial},
                {"config", config_file},
                {"set", set},
                {"restart_required", restart}});
    return cli::kExitOk;
  }
  if (config.appliance_id != bundle.appliance_id && config.appliance_id != Config{}.appliance_id) {
    std::cout << "warning: appliance_id changes from " << config.appliance_id << " to " << bundle.appliance_id
              << "; hits journaled under the old id are refused by the inbox\n";
  }
  std::cout << "installed certificate " << serial << " for appliance " << bundle.appliance_id
            << " (valid until " << iso_time(enroll::not_after(cert.get())) << ")\n";
  for (const auto& [k, v] : keys) std::cout << "  " << k << " = " << v << "\n";
  std::cout << config_file << " replaced. Apply it: `dijkctl config reload`"
            << (restart.empty() ? "" : " (restart dijk-control for the keys that need it)") << ".\n";
  return cli::kExitOk;
}

}  // namespace

std::vector<cli::Verb> enroll_verbs() {
  const cli::OptionSpec config{"--config", true,
                               "the config file (default $DIJK_CONFIG or /etc/dijk/dijk.toml)", "FILE"};
  const cli::OptionSpec dir{"--dir", true, "where the key and certificates live (default paths.state/enroll)",
                            "DIR"};
  const cli::OptionSpec json{"--json", false, "machine-readable output", ""};
  return {
      {"enroll request",
       "make this appliance's key and a certificate request for the hotline",
       "enroll request [--id ID] [--new-key] [--dir DIR] [--config FILE] [--json]",
       "Makes an EC P-256 key (DIR/pending.key, mode 0600; it never leaves the appliance) and a certificate "
       "request for it naming the appliance id (appliance_id from the config, or --id) as its CN: "
       "DIR/request.csr, printed too. Send the request to the hotline (`dijk-hotline enroll`). Run again, it "
       "reuses the waiting key unless --new-key.",
       {{"--id", true, "the appliance id to ask for (default: appliance_id)", "ID"},
        {"--new-key", false, "make a new key even if one is waiting", ""},
        dir,
        config,
        json},
       run_request},
      {"enroll install",
       "apply the hotline's enrollment bundle: certificate, CAs, inbox and feed",
       "enroll install BUNDLE [--dir DIR] [--config FILE] [--json]",
       "Checks BUNDLE (docs/formats.md) strictly, and that its certificate is for the key `enroll request` "
       "made; refuses it otherwise, changing nothing. Writes the certificate, the key, the CAs and the "
       "feed's "
       "root key into DIR (named by the certificate's serial), then sets appliance_id, reporting.url, "
       "reporting.client_cert, reporting.client_key, reporting.ca and the feed's url, name, root_key and ca "
       "in the config, validated and replaced atomically. Apply with `dijkctl config reload`.",
       {dir, config, json},
       run_install},
  };
}

}  // namespace dijk::ctl
