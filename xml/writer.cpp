#include "xml/writer.hpp"

#include <array>

#include "xml/namespaces.hpp"

namespace xml {
namespace {

const char* entity(char c) {
    switch (c) {
        case '&':
            return "&amp;";
        case '<':
            return "&lt;";
        case '>':
            return "&gt;";
        case '\'':
            return "&apos;";
        default:
            return "&quot;";
    }
}

// Which bytes need an entity: one table load per byte on the hot path (every
// stanza is serialized once per routing), instead of a switch per byte.
using byte_table = std::array<bool, 256>;
constexpr byte_table markup_table(std::string_view chars) {
    byte_table t{};
    for (char c : chars) t[static_cast<unsigned char>(c)] = true;
    return t;
}
constexpr byte_table text_markup = markup_table("&<>");
constexpr byte_table attr_markup = markup_table("&<>'\"");

void append_escaped(std::string& out, std::string_view s, bool in_attr) {
    const byte_table& markup = in_attr ? attr_markup : text_markup;
    // Runs without markup characters (nearly all text) are copied whole.
    const char* run = s.data();
    const char* end = run + s.size();
    for (const char* p = run; p != end; ++p) {
        if (!markup[static_cast<unsigned char>(*p)]) continue;
        out.append(run, std::size_t(p - run));
        out += entity(*p);
        run = p + 1;
    }
    out.append(run, std::size_t(end - run));
}

// `default_ns` is the default namespace in effect where `el` is written.
void write_element(const element& el, std::string& out, std::string_view default_ns) {
    bool stream_prefixed = el.ns() == ns::stream;
    std::string_view child_default = stream_prefixed ? default_ns : std::string_view(el.ns());
    out += '<';
    if (stream_prefixed) out += "stream:";
    out += el.local_name();
    if (!stream_prefixed && el.ns() != default_ns) {
        out += " xmlns='";
        append_escaped(out, el.ns(), true);
        out += '\'';
    }
    int generated = 0;
    for (const auto& a : el.attributes()) {
        out += ' ';
        if (a.ns.empty()) {
            out += a.name;
        } else if (a.ns == ns::xml) {
            out += "xml:";
            out += a.name;
        } else {
            // A prefix of our own for any other attribute namespace.
            std::string prefix = "ns" + std::to_string(++generated);
            out += "xmlns:" + prefix + "='";
            append_escaped(out, a.ns, true);
            out += "' " + prefix + ":" + a.name;
        }
        out += "='";
        append_escaped(out, a.value, true);
        out += '\'';
    }
    if (el.nodes().empty()) {
        out += "/>";
        return;
    }
    out += '>';
    for (const auto& n : el.nodes()) {
        if (n.child)
            write_element(*n.child, out, child_default);
        else
            append_escaped(out, n.text, false);
    }
    out += "</";
    if (stream_prefixed) out += "stream:";
    out += el.local_name();
    out += '>';
}

}  // namespace

void write(const element& el, std::string& out, std::string_view context_ns) {
    write_element(el, out, context_ns);
}

std::string to_string(const element& el, std::string_view context_ns) {
    std::string out;
    // Most stanzas fit: one allocation instead of a string regrown step by step.
    out.reserve(512);
    write(el, out, context_ns);
    return out;
}

std::string escape_text(std::string_view s) {
    std::string out;
    append_escaped(out, s, false);
    return out;
}

std::string escape_attr(std::string_view s) {
    std::string out;
    append_escaped(out, s, true);
    return out;
}

std::string open_stream(const stream_header& h) {
    std::string out = "<?xml version='1.0'?><stream:stream xmlns='";
    append_escaped(out, h.content_ns, true);
    out += "' xmlns:stream='http://etherx.jabber.org/streams'";
    auto attr = [&](std::string_view name, const std::string& value) {
        if (value.empty()) return;
        out += ' ';
        out += name;
        out += "='";
        append_escaped(out, value, true);
        out += '\'';
    };
    attr("id", h.id);
    attr("from", h.from);
    attr("to", h.to);
    attr("version", h.version);
    attr("xml:lang", h.lang);
    out += '>';
    return out;
}

}  // namespace xml
