// dijkctl hits quarantine list|retry|drop: the hits the inbox refused for good, which dijk-control keeps
// on disk instead of resending them forever.
#include <iostream>
#include <string>

#include "apps/dijkctl/admin_link.h"
#include "apps/dijkctl/verbs.h"
#include "hashcore/util/safe_text.h"

namespace dijk::ctl {
namespace {

using nlohmann::json;

// {"id": N}, {"journal": NAME, "id": N} or {"all": true} from "N", "NAME:N" (a hit of a journal other
// than dijkd's) or --all; exactly one of them.
json target(const cli::ParsedArgs& args, const std::string& action) {
  const auto& pos = args.positional();
  const bool all = args.flag("--all");
  if (all == (pos.size() == 2)) throw cli::UsageError(action + " wants one quarantined hit's ID or --all");
  if (all) return json{{"all", true}};
  const std::string& given = pos[1];
  const auto colon = given.rfind(':');
  const std::string journal = colon == std::string::npos ? "" : given.substr(0, colon);
  const std::string id = colon == std::string::npos ? given : given.substr(colon + 1);
  const bool journal_ok =
      colon == std::string::npos ||
      (!journal.empty() &&
       journal.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
  if (!journal_ok || id.empty() || id.size() > 19 ||
      id.find_first_not_of("0123456789") != std::string::npos) {
    throw cli::UsageError("ID is a number, or JOURNAL:NUMBER (see 'dijkctl hits quarantine list'), not '" +
                          printable_text(given) + "'");
  }
  json request{{"id", std::stoull(id)}};
  if (!journal.empty()) request["journal"] = journal;
  return request;
}

// The id as list shows it: a number for dijkd's journal, "NAME:N" for any other.
std::string id_text(const json& h) {
  const auto it = h.find("id");
  if (it == h.end()) return "?";
  if (it->is_string()) return printable_text(it->get<std::string>());
  if (it->is_number_unsigned()) return std::to_string(it->get<std::uint64_t>());
  return "?";
}

int list(const cli::ParsedArgs& args) {
  const auto result = call(control_socket(args), "hits.quarantine.list");
  if (args.flag("--json")) {
    print_json(result);
    return cli::kExitOk;
  }
  const auto hits = result.value("hits", json::array());
  if (hits.empty()) {
    std::cout << "quarantine empty\n";
    return cli::kExitOk;
  }
  for (const auto& h : hits) {
    std::cout << id_text(h) << "  " << printable_text(h.value("key", "")) << "  "
              << iso_time(h.value("quarantined_unix", std::int64_t{0})) << "  " << h.value("status", 0L)
              << "  " << h.value("reason", "") << "  refused " << h.value("refusals", 0u) << "x"
              << (h.value("retry_requested", false) ? "  retry pending" : "") << "\n";
  }
  std::cout << hits.size() << " quarantined hit" << (hits.size() == 1 ? "" : "s") << " in "
            << result.value("dir", "") << "\n";
  return cli::kExitOk;
}

int retry(const cli::ParsedArgs& args) {
  const auto result = call(control_socket(args), "hits.quarantine.retry", target(args, "retry"));
  if (args.flag("--json")) {
    print_json(result);
  } else {
    std::cout << result.value("queued", std::uint64_t{0})
              << " queued for a resend; refused again, a hit returns to the quarantine\n";
  }
  return cli::kExitOk;
}

int drop(const cli::ParsedArgs& args) {
  auto request = target(args, "drop");
  const auto reason = args.value("--reason");
  if (!reason || reason->empty())
    throw cli::UsageError("drop wants --reason TEXT (it goes to the audit log)");
  request["reason"] = *reason;
  const auto result = call(control_socket(args), "hits.quarantine.drop", request);
  if (args.flag("--json")) {
    print_json(result);
  } else {
    std::cout << "dropped " << result.value("dropped", std::uint64_t{0}) << ", recorded in "
              << result.value("audit_log", "") << "\n";
  }
  return cli::kExitOk;
}

int run_quarantine(const cli::ParsedArgs& args) {
  const auto& pos = args.positional();
  const std::string action = pos.empty() ? "" : pos[0];
  if (action == "list" && pos.size() == 1) return list(args);
  if (action == "retry") return retry(args);
  if (action == "drop") return drop(args);
  throw cli::UsageError("hits quarantine wants list, retry ID|--all, or drop ID|--all --reason TEXT");
}

}  // namespace

cli::Verb quarantine_verb() {
  return {
      "hits quarantine",
      "hits the inbox refused for good: list, retry, drop",
      "hits quarantine list [--json] | retry ID|--all | drop ID|--all --reason TEXT",
      "Hits the inbox refused for good (HTTP 4xx but 408/429) are kept on disk by dijk-control, with the\n"
      "inbox's status and reason, so later hits keep flowing. 'retry' resends them (refused again, they\n"
      "stay); 'drop' removes them, writing each with the reason to the quarantine's audit.log. An ID is\n"
      "the hit's journal position, or JOURNAL:POSITION for a journal other than dijkd's (e.g. api:17).",
      daemon_options({{"--all", false, "every quarantined hit"},
                      {"--reason", true, "why they are dropped (for the audit log)", "TEXT"}}),
      run_quarantine};
}

}  // namespace dijk::ctl
