#pragma once
// The analysts' web view as server-rendered HTML and one style sheet: no script, no framework. Every value
// that came from an appliance, the feed or the request is escaped for the terminal (printable_text: control
// characters and invalid bytes shown as \x..) and then for HTML, so it can neither forge markup nor a line.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "apps/dijk-hotline/inbox/web/analyst_data.h"

namespace dijk::web {

// Text as HTML: printable (see above), then & < > " ' as entities.
std::string html_text(std::string_view bytes);

// The filter form's fields, as the analyst typed them (shown back in the form).
using FormValues = std::map<std::string, std::string>;

std::string hits_page(const std::string& analyst, const HitsResult& hits, const FormValues& form,
                      std::int64_t now);
std::string fleet_page(const std::string& analyst, const std::vector<ApplianceStatus>& fleet,
                       const std::string& origin, std::int64_t now);
std::string feed_page(const std::string& analyst, const FeedHistory& history);
// An error for a person: the status and why (a bad filter, say).
std::string error_page(int status, std::string_view reason);

std::string_view style_sheet();

}  // namespace dijk::web
