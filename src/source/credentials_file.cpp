// SPDX-License-Identifier: Apache-2.0
#include "source/credentials_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "source/token_response.hpp"

namespace tsync {
namespace {

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string credentials_path(const std::string& replica, const std::string& configured) {
  if (configured.empty()) return replica + ".credentials";
  const std::filesystem::path path(configured);
  if (path.is_absolute()) return configured;
  return (std::filesystem::path(replica).parent_path() / path).string();
}

std::optional<std::string> read_saved_refresh_token(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw ConfigError(path + ": cannot read the credentials file: " + errno_text());
  }
  if ((st.st_mode & 077) != 0)
    throw ConfigError(path +
                      ": the credentials file can be read by others than its owner "
                      "(chmod 600 it)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ConfigError(path + ": cannot read the credentials file");
  rapidjson::Document doc;
  const std::string body = text.str();
  doc.Parse(body.c_str(), body.size());
  const std::string token = doc.HasParseError() ? "" : text_at(doc, {"refresh_token"});
  if (token.empty())
    throw ConfigError(path +
                      ": not a credentials file written by tsync (no refresh_token); "
                      "remove it to start again from refresh_token_env");
  return token;
}

void save_refresh_token(const std::string& path, const std::string& refresh_token) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("refresh_token");
  writer.String(refresh_token.c_str(), static_cast<rapidjson::SizeType>(refresh_token.size()));
  writer.EndObject();
  const std::string text = std::string(buffer.GetString(), buffer.GetSize()) + "\n";
  const std::string temp = path + ".new";
  auto fail = [&](const std::string& what) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    throw Error(path + ": cannot save the new refresh token (" + what + ": " + reason +
                "); the next run will need a new one");
  };
  ::unlink(temp.c_str());  // a file left by a run killed while writing
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("create " + temp);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename");
  // The rename itself is made durable by syncing the folder.
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace tsync
