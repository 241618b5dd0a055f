#include "core/verdict.h"

#include <gtest/gtest.h>

#include <vector>

namespace dijk {
namespace {

HitEvent hit(std::string list, std::string category) {
  HitEvent h;
  h.list = std::move(list);
  h.category = std::move(category);
  return h;
}

TEST(Verdict, NamesRoundTripAndUnknownIsRefused) {
  for (const Verdict v : {Verdict::allow, Verdict::report, Verdict::block}) {
    EXPECT_EQ(verdict_from_name(verdict_name(v)), v);
  }
  EXPECT_FALSE(verdict_from_name("deny"));
  EXPECT_FALSE(verdict_from_name(""));
}

TEST(Verdict, NoHitsIsAllowWhateverTheDefault) {
  const VerdictPolicy policy(Verdict::block, {}, {});
  EXPECT_EQ(policy.verdict_for(std::vector<HitEvent>{}), Verdict::allow);
}

TEST(Verdict, ListRuleBeatsCategoryRuleBeatsDefault) {
  const VerdictPolicy policy(Verdict::block, {{"stock-review", Verdict::report}},
                             {{"B2", Verdict::report}, {"A1", Verdict::block}});
  EXPECT_EQ(policy.action_for("stock-review", "A1"), Verdict::report);  // the list's rule wins
  EXPECT_EQ(policy.action_for("hotline", "B2"), Verdict::report);
  EXPECT_EQ(policy.action_for("hotline", "A1"), Verdict::block);
  EXPECT_EQ(policy.action_for("hotline", ""), Verdict::block);  // the default
}

TEST(Verdict, StrictestHitDecides) {
  const VerdictPolicy policy(Verdict::report, {{"hard", Verdict::block}, {"soft", Verdict::allow}}, {});
  const std::vector<HitEvent> soft_only{hit("soft", "")};
  const std::vector<HitEvent> report_and_soft{hit("soft", ""), hit("other", "")};
  const std::vector<HitEvent> all{hit("soft", ""), hit("other", ""), hit("hard", "")};
  EXPECT_EQ(policy.verdict_for(soft_only), Verdict::allow);
  EXPECT_EQ(policy.verdict_for(report_and_soft), Verdict::report);
  EXPECT_EQ(policy.verdict_for(all), Verdict::block);
}

}  // namespace
}  // namespace dijk
