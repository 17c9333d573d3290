// expat, driven so that it never holds more than one stanza's worth of input and
// never expands an entity: DOCTYPEs (and with them every entity declaration) are
// refused at their first byte, RFC 6120 §11.1.
#include "xml/stream_parser.hpp"

#include <expat.h>

#include <vector>

namespace xml {
namespace {

// Separates namespace and local name in expat's names; not an XML name character.
constexpr char ns_separator = '\x01';
// Input is handed to expat in pieces this size, so limits are checked early.
constexpr std::size_t feed_slice = 16 * 1024;

qname split_name(const char* raw) {
    std::string_view s(raw);
    auto pos = s.rfind(ns_separator);
    if (pos == std::string_view::npos) return {std::string(), std::string(s)};
    return {std::string(s.substr(0, pos)), std::string(s.substr(pos + 1))};
}

bool is_whitespace(std::string_view s) {
    for (char c : s)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    return true;
}

}  // namespace

struct stream_parser::impl {
    parser_events events;
    parser_limits limits;
    XML_Parser p = nullptr;

    std::size_t depth = 0;  // 1 = inside the stream element
    std::vector<std::shared_ptr<element>> stack;
    bool opened = false;
    bool failed = false;
    bool stopped = false;
    bool in_parse = false;
    bool reset_pending = false;
    bool priming = false;    // replaying start_tag into a fresh parser (resume())
    std::string default_ns;  // declared on the stream element (xmlns='...')
    // The stream element's start tag as it arrived: what a released parser needs
    // to parse the rest of the stream with the same namespaces (release()).
    std::string start_tag;

    // Byte positions are counted from this parser's first byte.
    long long fed = 0;             // bytes given to expat so far
    long long boundary = 0;        // end of the last complete top-level item
    long long reset_boundary = 0;  // end of the element that asked for reset()
    long long stanza_start = 0;    // where the current top-level element began
    long long last_event = 0;      // end of the last event expat reported

    impl(parser_events ev, parser_limits lim) : events(std::move(ev)), limits(lim) { create(); }
    ~impl() { destroy(); }

    void create() {
        p = XML_ParserCreateNS("UTF-8", ns_separator);
        XML_SetUserData(p, this);
        XML_SetElementHandler(p, &impl::on_start, &impl::on_end);
        XML_SetCharacterDataHandler(p, &impl::on_text);
        XML_SetStartNamespaceDeclHandler(p, &impl::on_ns_decl);
        XML_SetCommentHandler(p, &impl::on_comment);
        XML_SetProcessingInstructionHandler(p, &impl::on_pi);
        XML_SetStartDoctypeDeclHandler(p, &impl::on_doctype);
        XML_SetEntityDeclHandler(p, &impl::on_entity_decl);
        XML_SetSkippedEntityHandler(p, &impl::on_skipped_entity);
        XML_SetXmlDeclHandler(p, &impl::on_xml_decl);
        XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#ifdef PARLEY_HAVE_XML_REPARSE_DEFERRAL
        // Reparse deferral (expat 2.6, backported to Debian's 2.5) holds back a
        // completed token until more bytes arrive: a stanza whose last byte comes
        // alone would wait in the server. XMPP needs every event at once; the cost
        // deferral guards against is bounded by max_token_bytes instead.
        XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
        depth = 0;
        default_ns.clear();
        start_tag.clear();
        stack.clear();
        opened = false;
        fed = boundary = reset_boundary = stanza_start = last_event = 0;
    }

    void destroy() {
        if (p) XML_ParserFree(p);
        p = nullptr;
    }

    bool active() const {
        return !failed && !stopped && !reset_pending;
    }

    void fail(parse_error err, std::string detail) {
        if (failed || stopped) return;
        failed = true;
        stack.clear();
        if (in_parse) XML_StopParser(p, XML_FALSE);
        if (events.on_error) events.on_error(err, std::move(detail));
    }

    // A stanza that arrived whole in one slice never shows as pending: check its
    // size as it is parsed.
    bool stanza_too_large() {
        if (event_end() - stanza_start <= static_cast<long long>(limits.max_stanza_bytes))
            return false;
        fail(parse_error::policy_violation, "stanza too large");
        return true;
    }

    long long event_end() const {
        return XML_GetCurrentByteIndex(p) + XML_GetCurrentByteCount(p);
    }

    static impl& self(void* ud) {
        return *static_cast<impl*>(ud);
    }

    static void XMLCALL on_start(void* ud, const char* name, const char** atts) {
        auto& s = self(ud);
        if (!s.active()) return;
        std::size_t count = 0;
        for (const char** a = atts; *a; a += 2) ++count;
        if (count > s.limits.max_attributes)
            return s.fail(parse_error::policy_violation, "too many attributes");
        if (s.depth >= s.limits.max_depth + 1)
            return s.fail(parse_error::policy_violation, "elements nested too deeply");
        s.last_event = s.event_end();
        if (s.depth == 1) s.stanza_start = XML_GetCurrentByteIndex(s.p);
        if (s.depth >= 1 && s.stanza_too_large()) return;
        auto el = std::make_shared<element>(split_name(name));
        // A stanza (depth 1) gets room for one more than it came with: a router
        // stamps 'from' on every stanza it takes.
        el->mutable_attributes().reserve(count + (s.depth == 1 ? 1 : 0));
        for (const char** a = atts; *a; a += 2) {
            auto q = split_name(a[0]);
            el->set_attr(q.ns, q.name, a[1]);
        }
        ++s.depth;
        if (s.depth == 1) {
            s.opened = true;
            s.boundary = s.event_end();
            if (s.priming) return;  // the header was reported when it first came
            s.capture_start_tag();
            // No attribute of expat's has an empty namespace and the name xmlns,
            // so this cannot collide with one the peer sent.
            if (!s.default_ns.empty()) el->set_attr("", "xmlns", s.default_ns);
            if (s.events.on_open) s.events.on_open(*el);
            return;
        }
        s.stack.push_back(std::move(el));
    }

    // Keeps the bytes of the stream element's start tag (called from its start
    // handler). expat holds the whole tag in its buffer then, whatever pieces it
    // came in. Without them (a header over max_header_bytes, an expat built
    // without XML_CONTEXT_BYTES) the parser just cannot be released.
    void capture_start_tag() {
        start_tag.clear();
        int offset = 0, size = 0;
        const char* buf = XML_GetInputContext(p, &offset, &size);
        int count = XML_GetCurrentByteCount(p);
        if (buf && count > 0 && offset >= 0 && offset <= size && count <= size - offset &&
            std::size_t(count) <= limits.max_header_bytes)
            start_tag.assign(buf + offset, std::size_t(count));
    }

    // Everything fed so far has been reported and the stream is between
    // top-level elements: nothing but the stream element's context is left.
    bool at_clean_point() const {
        return p && !in_parse && active() && opened && depth == 1 && stack.empty() &&
               last_event == fed && !start_tag.empty();
    }

    // A fresh expat parser in the state the released one had: inside the stream
    // element. Byte positions restart at the replayed tag, so pending bytes and
    // limits count from here as they would have from the released parser's
    // boundary.
    void resume() {
        auto tag = std::move(start_tag);
        create();
        priming = true;
        parse_slice(tag);
        priming = false;
        start_tag = std::move(tag);
    }

    static void XMLCALL on_end(void* ud, const char*) {
        auto& s = self(ud);
        if (!s.active()) return;
        s.last_event = s.event_end();
        if (s.depth >= 2 && s.stanza_too_large()) return;
        --s.depth;
        if (s.depth == 0) {
            s.boundary = s.event_end();
            if (s.events.on_close) s.events.on_close();
            return;
        }
        auto el = std::move(s.stack.back());
        s.stack.pop_back();
        if (!s.stack.empty()) {
            s.stack.back()->add_child(std::move(el));
            return;
        }
        s.boundary = s.event_end();
        if (s.events.on_element) s.events.on_element(std::move(el));
        if (s.reset_pending) s.reset_boundary = s.boundary;
    }

    static void XMLCALL on_text(void* ud, const char* text, int len) {
        auto& s = self(ud);
        if (!s.active()) return;
        std::string_view t(text, std::size_t(len));
        s.last_event = s.event_end();
        if (!s.stack.empty() && s.stanza_too_large()) return;
        if (!s.stack.empty()) {
            s.stack.back()->add_text(t);
        } else if (!is_whitespace(t)) {
            s.fail(parse_error::not_well_formed, "text outside of any stanza");
        }
        // Whitespace between stanzas is the keepalive of RFC 6120 §4.6.1.
    }

    // RFC 6120 §4.8.2: the stream's content namespace is the default namespace
    // its header declares; the session checks it.
    static void XMLCALL on_ns_decl(void* ud, const char* prefix, const char* uri) {
        auto& s = self(ud);
        if (s.depth == 0 && !prefix) s.default_ns = uri ? uri : "";
    }

    static void XMLCALL on_comment(void* ud, const char*) {
        self(ud).fail(parse_error::restricted_xml, "comments are not allowed");
    }
    static void XMLCALL on_pi(void* ud, const char*, const char*) {
        self(ud).fail(parse_error::restricted_xml, "processing instructions are not allowed");
    }
    static void XMLCALL on_doctype(void* ud, const char*, const char*, const char*, int) {
        self(ud).fail(parse_error::restricted_xml, "DTDs are not allowed");
    }
    static void XMLCALL on_entity_decl(void* ud, const char*, int, const char*, int, const char*,
                                       const char*, const char*, const char*) {
        self(ud).fail(parse_error::restricted_xml, "entity declarations are not allowed");
    }
    static void XMLCALL on_skipped_entity(void* ud, const char*, int) {
        self(ud).fail(parse_error::restricted_xml, "entity references are not allowed");
    }
    static void XMLCALL on_xml_decl(void* ud, const XML_Char*, const XML_Char* encoding, int) {
        auto& s = self(ud);
        if (!encoding) return;
        std::string e(encoding);
        for (auto& c : e) c = char(std::toupper(static_cast<unsigned char>(c)));
        if (e != "UTF-8" && e != "UTF8")
            s.fail(parse_error::unsupported_encoding, "only UTF-8 is allowed");
    }

    // Parses one slice. Returns the number of bytes consumed when a reset was
    // requested inside it (the rest goes to a fresh parser), or npos otherwise.
    std::size_t parse_slice(std::string_view bytes) {
        long long start = fed;
        fed += static_cast<long long>(bytes.size());
        in_parse = true;
        auto status = XML_Parse(p, bytes.data(), int(bytes.size()), XML_FALSE);
        in_parse = false;
        if (reset_pending) return std::size_t(reset_boundary - start);
        if (status == XML_STATUS_ERROR && !failed && !stopped) {
            fail(parse_error::not_well_formed, XML_ErrorString(XML_GetErrorCode(p)));
        }
        if (failed || stopped) return std::string_view::npos;
        // Limits on what expat holds but has not completed yet: a huge stanza or
        // header fails here even while its last byte is still far away.
        long long pending = fed - boundary;
        if (!opened && pending > static_cast<long long>(limits.max_header_bytes))
            fail(parse_error::policy_violation, "stream header too large");
        else if (opened && pending > static_cast<long long>(limits.max_stanza_bytes))
            fail(parse_error::policy_violation, "stanza too large");
        else if (fed - last_event > static_cast<long long>(limits.max_token_bytes))
            fail(parse_error::policy_violation, "XML token too large");
        return std::string_view::npos;
    }
};

stream_parser::stream_parser(parser_events events, parser_limits limits)
    : impl_(std::make_unique<impl>(std::move(events), limits)) {}

stream_parser::~stream_parser() = default;

bool stream_parser::feed(std::string_view bytes) {
    auto& s = *impl_;
    if (!s.p && !s.failed && !s.stopped) {
        // Released. Whitespace keepalives (RFC 6120 §4.6.1) between stanzas need
        // no parser: they are valid here and reported to nobody.
        if (is_whitespace(bytes)) return true;
        s.resume();
    }
    while (!bytes.empty() && !s.failed && !s.stopped) {
        auto slice = bytes.substr(0, feed_slice);
        auto consumed = s.parse_slice(slice);
        if (consumed != std::string_view::npos) {
            // RFC 6120 §4.3.3: a restart; whatever follows belongs to the new stream.
            s.destroy();
            s.create();
            s.reset_pending = false;
            bytes.remove_prefix(consumed);
            continue;
        }
        bytes.remove_prefix(slice.size());
    }
    return !s.failed && !s.stopped;
}

void stream_parser::reset() {
    auto& s = *impl_;
    if (s.in_parse) {
        s.reset_pending = true;
        s.reset_boundary = s.boundary;
        XML_StopParser(s.p, XML_FALSE);
        return;
    }
    s.destroy();
    s.create();
    s.failed = s.stopped = s.reset_pending = false;
}

void stream_parser::stop() {
    auto& s = *impl_;
    s.stopped = true;
    s.stack.clear();
    if (s.in_parse) XML_StopParser(s.p, XML_FALSE);
}

bool stream_parser::release() {
    auto& s = *impl_;
    if (!s.p) return true;
    if (!s.at_clean_point()) return false;
    s.destroy();
    s.stack = {};
    s.boundary = s.last_event = s.fed;  // whitespace since the last element is done with
    return true;
}

bool stream_parser::released() const {
    return !impl_->p;
}

bool stream_parser::in_element() const {
    return impl_->depth > 1;
}

std::size_t stream_parser::pending_bytes() const {
    return std::size_t(impl_->fed - impl_->boundary);
}

}  // namespace xml
