#include "server/admin/registry.hpp"

#include <sstream>

namespace server::admin {

void registry::add(command c) {
    auto name = c.name;
    commands_.emplace(std::move(name), std::move(c));
}

const command* registry::find(const std::string& name) const {
    auto it = commands_.find(name);
    return it == commands_.end() ? nullptr : &it->second;
}

void registry::call(const std::string& name, const std::vector<std::string>& args,
                    done_fn done) const {
    const auto* c = find(name);
    if (!c) return done({exit_code::usage, "unknown command '" + name + "'\n" + usage_text()});
    if (args.size() != c->args.size()) {
        std::string expected = name;
        for (const auto& a : c->args) expected += " <" + a + ">";
        return done({exit_code::usage, "usage: " + expected});
    }
    c->run(args, std::move(done));
}

std::string registry::usage_text() const {
    std::ostringstream s;
    s << "commands:\n";
    for (const auto& [name, c] : commands_) {
        std::string line = "  " + name;
        for (const auto& a : c.args) line += " <" + a + ">";
        s << line;
        if (line.size() < 44) s << std::string(44 - line.size(), ' ');
        s << "  " << c.help << "\n";
    }
    return s.str();
}

}  // namespace server::admin
