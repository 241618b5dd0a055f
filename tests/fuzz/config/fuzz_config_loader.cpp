// Hostile config files: the loader must return errors with positions, never crash or hang, and whatever it
// accepts must render back to TOML that loads to the same config.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/schema/loader.h"
#include "config/schema/render.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = dijk::load_config_text(text, "fuzz.toml");
  for (const auto& e : result.errors) {
    if (e.message.empty()) std::abort();
  }
  if (result.ok()) {
    const auto again = dijk::load_config_text(dijk::render_toml(result.config), "rendered.toml");
    if (!again.ok() || !(again.config == result.config)) std::abort();
    // Editing a valid file must not crash, whatever it holds.
    (void)dijk::set_key_in_text(text, "feed.interval_s", "60");
  }
  return 0;
}
