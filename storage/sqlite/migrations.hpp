// Numbered schema migrations, applied in order when a database is opened. A
// migration is never edited once released: a change is a new, higher number.
#pragma once

#include <string_view>
#include <vector>

namespace storage {

struct migration {
    int version;
    std::string_view sql;
};

const std::vector<migration>& migrations();
int latest_schema_version();

}  // namespace storage
