#include "control/feed/content.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "hashcore/set/set_builder.h"

namespace dijk::feed {
namespace {

constexpr char kMagic[8] = {'D', 'I', 'J', 'K', 'F', 'D', 'C', '1'};

bool less_digest(const Entry& a, const Entry& b, std::size_t size) {
  return compare_digests(a.bytes.data(), b.bytes.data(), size) < 0;
}
bool same_digest(const Entry& a, const Entry& b, std::size_t size) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), size) == 0;
}

void sort_unique(std::vector<Entry>& v, std::size_t size) {
  // Stable so that, among equal digests, the one added first keeps its list.
  std::stable_sort(v.begin(), v.end(),
                   [size](const Entry& a, const Entry& b) { return less_digest(a, b, size); });
  v.erase(std::unique(v.begin(), v.end(),
                      [size](const Entry& a, const Entry& b) { return same_digest(a, b, size); }),
          v.end());
}

// Bounds-checked little-endian reader over hostile bytes.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  void need(std::uint64_t n) const {
    if (n > b_.size() - pos_) fail("truncated (needs " + std::to_string(n) + " more bytes)");
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string text(std::uint64_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::span<const std::uint8_t> bytes(std::uint64_t n) {
    need(n);
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool at_end() const { return pos_ == b_.size(); }
  [[noreturn]] void fail(const std::string& why) const {
    throw FeedFormatError("content offset " + std::to_string(pos_) + ": " + why);
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

class Writer {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    out.insert(out.end(), p, p + sizeof(T));
  }
  void raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  void text16(const std::string& s) {
    const auto n = static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 0xFFFF));
    put(n);
    raw(s.data(), n);
  }
  std::vector<std::uint8_t> out;
};

ContentHeader read_header(Reader& r, const ContentLimits& limits) {
  ContentHeader h;
  const auto magic = r.bytes(8);
  if (std::memcmp(magic.data(), kMagic, 8) != 0) r.fail("not a dijk feed content file (bad magic)");
  const auto kind = r.get<std::uint32_t>();
  if (kind != 1 && kind != 2) r.fail("unknown content kind");
  h.kind = static_cast<ContentKind>(kind);
  if (r.get<std::uint32_t>() != 0) r.fail("reserved field not zero");
  h.version = r.get<std::uint64_t>();
  h.base_version = r.get<std::uint64_t>();
  if (h.kind == ContentKind::snapshot ? h.base_version != 0 : h.base_version >= h.version) {
    r.fail("base version inconsistent with the kind");
  }
  const auto note_len = r.get<std::uint32_t>();
  if (note_len > limits.max_note_bytes) r.fail("note longer than the cap");
  h.note = r.text(note_len);
  const auto lists = r.get<std::uint32_t>();
  if (lists > limits.max_lists) r.fail("more lists than the cap");
  for (std::uint32_t i = 0; i < lists; ++i) {
    ListInfo l;
    auto n = r.get<std::uint16_t>();
    if (n > limits.max_name_bytes) r.fail("list name longer than the cap");
    l.name = r.text(n);
    n = r.get<std::uint16_t>();
    if (n > limits.max_name_bytes) r.fail("list category longer than the cap");
    l.category = r.text(n);
    h.lists.push_back(std::move(l));
  }
  return h;
}

void write_header(Writer& w, ContentKind kind, std::uint64_t version, std::uint64_t base,
                  const std::string& note, const std::vector<ListInfo>& lists) {
  w.raw(kMagic, 8);
  w.put(static_cast<std::uint32_t>(kind));
  w.put(std::uint32_t{0});
  w.put(version);
  w.put(base);
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(note.size(), 4096));
  w.put(n);
  w.raw(note.data(), n);
  w.put(static_cast<std::uint32_t>(lists.size()));
  for (const ListInfo& l : lists) {
    w.text16(l.name.substr(0, 256));
    w.text16(l.category.substr(0, 256));
  }
}

// Writes entries grouped into blocks; consecutive entries with the same list share a block.
void write_blocks(Writer& w, ContentOp op, Algorithm a, const std::vector<Entry>& entries, bool by_list) {
  const std::size_t size = digest_size(a);
  constexpr std::size_t kMaxBlock = 1u << 20;
  std::size_t i = 0;
  while (i < entries.size()) {
    const std::uint16_t list = by_list ? entries[i].list : 0;
    std::size_t j = i;
    while (j < entries.size() && j - i < kMaxBlock && (!by_list || entries[j].list == list)) ++j;
    w.put(static_cast<std::uint8_t>(op));
    w.put(static_cast<std::uint8_t>(a));
    w.put(list);
    w.put(static_cast<std::uint32_t>(j - i));
    for (std::size_t k = i; k < j; ++k) w.raw(entries[k].bytes.data(), size);
    i = j;
  }
}

void write_section(Writer& w, ContentOp op, const RawSection& s) {
  w.put(static_cast<std::uint8_t>(op));
  w.put(static_cast<std::uint8_t>(s.algorithm));
  w.put(static_cast<std::uint16_t>(s.kind));
  w.put(std::uint32_t{0});
  if (op == ContentOp::put_section) {
    w.put(s.count);
    w.put(static_cast<std::uint64_t>(s.bytes.size()));
    w.raw(s.bytes.data(), s.bytes.size());
  }
}

bool same_slot(const RawSection& a, const RawSection& b) {
  return a.kind == b.kind && a.algorithm == b.algorithm;
}

void sort_sections(std::vector<RawSection>& v) {
  std::sort(v.begin(), v.end(), [](const RawSection& a, const RawSection& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.algorithm < b.algorithm;
  });
}

void put_section(std::vector<RawSection>& v, RawSection s) {
  std::erase_if(v, [&](const RawSection& x) { return same_slot(x, s); });
  v.push_back(std::move(s));
  sort_sections(v);
}

// The sections of kinds other than lists/exact/allow that the set serves, copied out.
std::vector<RawSection> carried_sections(const HashSet& set) {
  std::vector<RawSection> out;
  for (const auto& s : set.other_sections())
    out.push_back({s.kind, s.algorithm, {s.bytes.begin(), s.bytes.end()}, s.count});
  return out;
}

void write_end(Writer& w) {
  w.put(std::uint8_t{0});
  w.put(std::uint8_t{0});
  w.put(std::uint16_t{0});
  w.put(std::uint32_t{0});
}

// Reads every block, calling `on(op, algorithm, list, digests)` for hash blocks and `on_section(op,
// section)` for carried sections; checks counts, caps and the end marker.
template <typename F, typename G>
void read_blocks(Reader& r, const ContentHeader& h, const ContentLimits& limits, F&& on, G&& on_section) {
  std::uint64_t blocks = 0;
  std::uint64_t entries = 0;
  std::uint32_t sections = 0;
  for (;;) {
    const auto op = r.get<std::uint8_t>();
    const auto algo = r.get<std::uint8_t>();
    const auto list = r.get<std::uint16_t>();
    const auto count = r.get<std::uint32_t>();
    if (op == 0) {
      if (algo != 0 || list != 0 || count != 0) r.fail("malformed end block");
      if (!r.at_end()) r.fail("bytes after the end block");
      return;
    }
    if (op > 6) r.fail("unknown block op");
    if (h.kind == ContentKind::snapshot && op != 1 && op != 3 && op != 5) r.fail("a snapshot may only add");
    if (op == 5 || op == 6) {
      // `list` holds the section kind; the hash kinds are built by the appliance, never carried.
      if (list < 4 || count != 0) r.fail("malformed section block");
      if (++sections > limits.max_sections) r.fail("more carried sections than the cap");
      RawSection s{static_cast<setfile::SectionKind>(list), algo, {}, 0};
      if (op == 5) {
        s.count = r.get<std::uint64_t>();
        const auto length = r.get<std::uint64_t>();
        if (length > limits.max_section_bytes) r.fail("carried section larger than the cap");
        const auto b = r.bytes(length);
        s.bytes.assign(b.begin(), b.end());
      }
      on_section(static_cast<ContentOp>(op), std::move(s));
      continue;
    }
    if (algo >= kAlgorithmCount) r.fail("unknown algorithm");
    if ((op == 1) && list >= h.lists.size()) r.fail("list index past the list table");
    if (++blocks > limits.max_blocks) r.fail("more blocks than the cap");
    entries += count;
    if (entries > limits.max_entries) r.fail("more entries than the cap");
    const std::size_t size = digest_size(static_cast<Algorithm>(algo));
    on(static_cast<ContentOp>(op), static_cast<Algorithm>(algo), list, r.bytes(std::uint64_t{count} * size),
       size);
  }
}

void append_entries(std::vector<Entry>& v, std::span<const std::uint8_t> digests, std::size_t size,
                    std::uint16_t list) {
  const std::size_t n = digests.size() / size;
  v.reserve(v.size() + n);
  for (std::size_t i = 0; i < n; ++i) {
    Entry e;
    std::memcpy(e.bytes.data(), digests.data() + i * size, size);
    e.list = list;
    v.push_back(e);
  }
}

// Entries of `a` whose digest is not in `b` (both sorted), or whose list differs when `compare_list`.
std::vector<Entry> difference(const std::vector<Entry>& a, const std::vector<Entry>& b, std::size_t size,
                              const SetContents* a_owner, const SetContents* b_owner) {
  std::vector<Entry> out;
  std::size_t j = 0;
  for (const Entry& e : a) {
    while (j < b.size() && less_digest(b[j], e, size)) ++j;
    const bool present = j < b.size() && same_digest(b[j], e, size);
    bool same_list = true;
    if (present && a_owner != nullptr && b_owner != nullptr) {
      same_list = a_owner->lists[e.list].name == b_owner->lists[b[j].list].name;
    }
    if (!present || !same_list) out.push_back(e);
  }
  return out;
}

void remove_sorted(std::vector<Entry>& v, std::vector<Entry> removals, std::size_t size) {
  if (removals.empty()) return;
  sort_unique(removals, size);
  std::size_t j = 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    while (j < removals.size() && less_digest(removals[j], v[i], size)) ++j;
    if (j < removals.size() && same_digest(removals[j], v[i], size)) continue;
    v[out++] = v[i];
  }
  v.resize(out);
}

// Appends `adds` to the sorted `v` and re-sorts by merging: the additions replace existing entries of the
// same digest (a hash moved to another list).
void add_sorted(std::vector<Entry>& v, std::vector<Entry> adds, std::size_t size) {
  if (adds.empty()) return;
  sort_unique(adds, size);
  remove_sorted(v, adds, size);
  const auto middle = v.size();
  v.insert(v.end(), adds.begin(), adds.end());
  std::inplace_merge(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(middle), v.end(),
                     [size](const Entry& a, const Entry& b) { return less_digest(a, b, size); });
}

}  // namespace

std::uint16_t SetContents::list_index(const ListInfo& list) {
  for (std::size_t i = 0; i < lists.size(); ++i) {
    if (lists[i].name == list.name) return static_cast<std::uint16_t>(i);
  }
  if (lists.size() >= 0xFFFF) throw FeedFormatError("too many lists");
  lists.push_back(list);
  return static_cast<std::uint16_t>(lists.size() - 1);
}

std::uint64_t SetContents::exact_count() const {
  std::uint64_t n = 0;
  for (const auto& v : exact) n += v.size();
  return n;
}

void SetContents::normalize() {
  for (Algorithm a : kAllAlgorithms) {
    sort_unique(exact[static_cast<std::size_t>(a)], digest_size(a));
    sort_unique(allow[static_cast<std::size_t>(a)], digest_size(a));
  }
}

std::uint64_t Delta::changes() const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    n += add[i].size() + remove[i].size() + allow_add[i].size() + allow_remove[i].size();
  }
  return n + put_sections.size() + drop_sections.size();
}

ContentHeader decode_header(std::span<const std::uint8_t> bytes, const ContentLimits& limits) {
  Reader r(bytes);
  return read_header(r, limits);
}

SetContents decode_snapshot(std::span<const std::uint8_t> bytes, const ContentLimits& limits,
                            ContentHeader* header_out) {
  Reader r(bytes);
  ContentHeader h = read_header(r, limits);
  if (h.kind != ContentKind::snapshot) r.fail("expected a snapshot");
  SetContents c;
  c.lists = h.lists;
  read_blocks(
      r, h, limits,
      [&](ContentOp op, Algorithm a, std::uint16_t list, auto digests, std::size_t size) {
        const auto i = static_cast<std::size_t>(a);
        append_entries(op == ContentOp::add ? c.exact[i] : c.allow[i], digests, size,
                       op == ContentOp::add ? list : 0);
      },
      [&](ContentOp, RawSection section) { put_section(c.sections, std::move(section)); });
  c.normalize();
  if (header_out != nullptr) *header_out = std::move(h);
  return c;
}

Delta decode_delta(std::span<const std::uint8_t> bytes, const ContentLimits& limits) {
  Reader r(bytes);
  Delta d;
  d.header = read_header(r, limits);
  if (d.header.kind != ContentKind::delta) r.fail("expected a delta");
  read_blocks(
      r, d.header, limits,
      [&](ContentOp op, Algorithm a, std::uint16_t list, auto digests, std::size_t size) {
        const auto i = static_cast<std::size_t>(a);
        switch (op) {
          case ContentOp::add:
            append_entries(d.add[i], digests, size, list);
            break;
          case ContentOp::remove:
            append_entries(d.remove[i], digests, size, 0);
            break;
          case ContentOp::allow_add:
            append_entries(d.allow_add[i], digests, size, 0);
            break;
          case ContentOp::allow_remove:
            append_entries(d.allow_remove[i], digests, size, 0);
            break;
          default:
            break;
        }
      },
      [&](ContentOp op, RawSection section) {
        (op == ContentOp::put_section ? d.put_sections : d.drop_sections).push_back(std::move(section));
      });
  return d;
}

std::vector<std::uint8_t> encode_snapshot(const SetContents& c, std::uint64_t version) {
  Writer w;
  write_header(w, ContentKind::snapshot, version, 0, "", c.lists);
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    write_blocks(w, ContentOp::add, a, c.exact[i], true);
    write_blocks(w, ContentOp::allow_add, a, c.allow[i], false);
  }
  for (const RawSection& s : c.sections) write_section(w, ContentOp::put_section, s);
  write_end(w);
  return std::move(w.out);
}

std::vector<std::uint8_t> encode_delta(const SetContents& from, const SetContents& to,
                                       std::uint64_t from_version, std::uint64_t to_version,
                                       const std::string& note) {
  Writer w;
  write_header(w, ContentKind::delta, to_version, from_version, note, to.lists);
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    const std::size_t size = digest_size(a);
    // A hash that moved list is removed and added again.
    write_blocks(w, ContentOp::remove, a, difference(from.exact[i], to.exact[i], size, &from, &to), false);
    write_blocks(w, ContentOp::allow_remove, a,
                 difference(from.allow[i], to.allow[i], size, nullptr, nullptr), false);
    auto adds = difference(to.exact[i], from.exact[i], size, &to, &from);
    std::stable_sort(adds.begin(), adds.end(),
                     [](const Entry& x, const Entry& y) { return x.list < y.list; });
    write_blocks(w, ContentOp::add, a, adds, true);
    write_blocks(w, ContentOp::allow_add, a, difference(to.allow[i], from.allow[i], size, nullptr, nullptr),
                 false);
  }
  // Carried sections travel whole, and only when they changed.
  for (const RawSection& s : from.sections) {
    if (std::none_of(to.sections.begin(), to.sections.end(),
                     [&](const RawSection& t) { return same_slot(s, t); })) {
      write_section(w, ContentOp::drop_section, s);
    }
  }
  for (const RawSection& s : to.sections) {
    const auto old = std::find_if(from.sections.begin(), from.sections.end(),
                                  [&](const RawSection& f) { return same_slot(s, f); });
    if (old == from.sections.end() || old->bytes != s.bytes || old->count != s.count) {
      write_section(w, ContentOp::put_section, s);
    }
  }
  write_end(w);
  return std::move(w.out);
}

std::vector<std::uint8_t> encode_removals(const std::vector<Digest>& digests, std::uint64_t from_version,
                                          std::uint64_t to_version, const std::string& note) {
  Writer w;
  write_header(w, ContentKind::delta, to_version, from_version, note, {});
  for (Algorithm a : kAllAlgorithms) {
    std::vector<Entry> entries;
    for (const Digest& d : digests) {
      if (d.algorithm != a) continue;
      Entry e;
      e.bytes = d.bytes;
      entries.push_back(e);
    }
    write_blocks(w, ContentOp::remove, a, entries, false);
  }
  write_end(w);
  return std::move(w.out);
}

void apply_delta(SetContents& c, const Delta& d) {
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    const std::size_t size = digest_size(a);
    remove_sorted(c.exact[i], d.remove[i], size);
    remove_sorted(c.allow[i], d.allow_remove[i], size);
    std::vector<Entry> adds = d.add[i];
    for (Entry& e : adds) e.list = c.list_index(d.header.lists.at(e.list));
    add_sorted(c.exact[i], std::move(adds), size);
    add_sorted(c.allow[i], d.allow_add[i], size);
  }
  for (const RawSection& s : d.drop_sections) {
    std::erase_if(c.sections, [&](const RawSection& x) { return same_slot(x, s); });
  }
  for (const RawSection& s : d.put_sections) put_section(c.sections, s);
}

SetContents read_set(const HashSet& set) {
  SetContents c;
  c.lists = set.lists();
  c.sections = carried_sections(set);
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    for (bool allow : {false, true}) {
      auto& out = allow ? c.allow[i] : c.exact[i];
      const ExactView table = allow ? set.allow(a) : set.exact(a);
      // An absent section is a default table with no bucket array: for_each must not touch it.
      if (table.empty()) continue;
      out.reserve(table.size());
      table.for_each([&](std::span<const std::uint8_t> digest, std::uint16_t list) {
        Entry e;
        std::memcpy(e.bytes.data(), digest.data(), digest.size());
        e.list = allow ? 0 : list;
        if (!allow && list >= c.lists.size())
          throw SetFileError(set.path() + ": list index past the list table");
        out.push_back(e);
      });
      // The table stores them in bucket order; SetContents keeps digest order.
      const std::size_t size = digest_size(a);
      std::sort(out.begin(), out.end(),
                [size](const Entry& x, const Entry& y) { return less_digest(x, y, size); });
    }
  }
  return c;
}

void write_set(const SetContents& c, const std::string& path, std::uint64_t version) {
  SetBuilder builder;
  for (const ListInfo& l : c.lists) builder.add_list(l.name, l.category);
  for (Algorithm a : kAllAlgorithms) {
    const auto i = static_cast<std::size_t>(a);
    builder.reserve(a, c.exact[i].size());
    Digest d;
    d.algorithm = a;
    for (const Entry& e : c.exact[i]) {
      d.bytes = e.bytes;
      builder.add(d, e.list);
    }
    for (const Entry& e : c.allow[i]) {
      d.bytes = e.bytes;
      builder.add_allow(d);
    }
  }
  for (const RawSection& s : c.sections) builder.add_raw_section(s);
  builder.write(path, version);
}

}  // namespace dijk::feed
