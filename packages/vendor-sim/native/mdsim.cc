// mdhub's ABI simulator of the vendor market-data library: test-only, never a vendor substitute.
//
// Built three times from this file (MDSIM_CTP677, MDSIM_CTP6711, MDSIM_SOPT), it exports the vendor's
// factory and version symbols for that flavour and returns an object whose vtable matches the vendor's
// slot for slot (ctp_abi.h, shared with the binding), so the binding's real code path runs against it.
// It connects over TCP to mdhub's simulated front (packages/vendor-sim/src/front.ts), which serves the
// simulated market, and imitates the vendor's observed connection semantics (spec §7): silent endless
// retry while a front is down; OnFrontDisconnected(0x1001) when the peer closes, then an automatic
// reconnect; OnHeartBeatWarning and OnFrontDisconnected(0x2001) on silence; -1 from requests while
// disconnected; "19800100" from GetTradingDay before a login; flow files under the flow-path prefix, and
// an error (not a crash) when its directory is missing. Every callback arrives on one library thread.
//
// Its timings are settable through `<flow prefix>mdsim.conf` (key=value lines: retry_ms, reconnect_ms,
// heartbeat_warn_ms, heartbeat_timeout_ms, ping_ms), so tests need not wait two minutes.
//
// Front protocol (ours): frames of [u32 little-endian length of type+payload][u8 type][payload].
//   front → library: 'W' welcome; 'L' login response (i32 requestId, u8 isLast, RspUserLogin, RspInfo);
//   'S' / 'U' (un)subscribe response (i32, u8, SpecificInstrument, RspInfo); 'E' error (i32, u8, RspInfo);
//   'D' depth (DepthMarketData); 'H' heartbeat; 'X' fault (u8: 1 abort, 2 hang the library thread,
//   3 segfault, 4 print a line to stdout).
//   library → front: 'h' hello; 'l' login (i32 requestId, ReqUserLogin); 's' / 'u' (i32 requestId,
//   i32 count, NUL-terminated ids); 'p' ping.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ctp_abi.h"

#if defined(MDSIM_SOPT)
namespace abi = mdhub_abi::sopt;
using LoginRsp = abi::RspUserLogin;
#define MDSIM_VERSION "v3.7.0_mdhub-sim"
#elif defined(MDSIM_CTP6711)
namespace abi = mdhub_abi::ctp;
using LoginRsp = abi::RspUserLogin6711;
#define MDSIM_VERSION "v6.7.11_mdhub-sim"
#elif defined(MDSIM_CTP677)
namespace abi = mdhub_abi::ctp;
using LoginRsp = abi::RspUserLogin677;
#define MDSIM_VERSION "v6.7.7_mdhub-sim"
#else
#error "define MDSIM_CTP677, MDSIM_CTP6711 or MDSIM_SOPT"
#endif

#define MDSIM_EXPORT __attribute__((visibility("default")))

// The vendor's class, by its name (the name is part of the exported symbols), over the shared ABI.
#if defined(MDSIM_SOPT)
namespace ctp_sopt {
#endif
class MDSIM_EXPORT CThostFtdcMdApi : public abi::MdApi {
 public:
#if defined(MDSIM_CTP6711)
  static CThostFtdcMdApi* CreateFtdcMdApi(const char* flowPath, const bool isUsingUdp, const bool isMulticast, bool isProductionMode);
#else
  static CThostFtdcMdApi* CreateFtdcMdApi(const char* flowPath, const bool isUsingUdp, const bool isMulticast);
#endif
  static const char* GetApiVersion();

 protected:
  ~CThostFtdcMdApi() {}
};
#if defined(MDSIM_SOPT)
}  // namespace ctp_sopt
using ctp_sopt::CThostFtdcMdApi;
#endif

namespace {

using Clock = std::chrono::steady_clock;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

struct Settings {
  int retryMs = 5000;
  int reconnectMs = 5;
  int heartbeatWarnMs = 61000;
  int heartbeatTimeoutMs = 121000;
  int pingMs = 5000;
};

Settings readSettings(const std::string& file) {
  Settings s;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = line.substr(0, eq);
    const int v = std::atoi(line.c_str() + eq + 1);
    if (k == "retry_ms") s.retryMs = v;
    else if (k == "reconnect_ms") s.reconnectMs = v;
    else if (k == "heartbeat_warn_ms") s.heartbeatWarnMs = v;
    else if (k == "heartbeat_timeout_ms") s.heartbeatTimeoutMs = v;
    else if (k == "ping_ms") s.pingMs = v;
  }
  return s;
}

struct Front {
  std::string host;
  int port;
};

bool parseFront(const char* address, Front* out) {
  std::string a(address ? address : "");
  const auto scheme = a.find("://");
  if (scheme != std::string::npos) a = a.substr(scheme + 3);
  const auto colon = a.rfind(':');
  if (colon == std::string::npos) return false;
  out->host = a.substr(0, colon);
  out->port = std::atoi(a.c_str() + colon + 1);
  return out->port > 0 && out->port < 65536;
}

class SimApi final : public CThostFtdcMdApi {
 public:
  SimApi(std::string prefix, Settings settings) : prefix_(std::move(prefix)), settings_(settings) {
    std::strcpy(tradingDay_, mdhub_abi::kNoTradingDay);
  }

  void Release() override {
    stop_.store(true);
    {
      std::lock_guard<std::mutex> g(sendMu_);
      if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    }
    if (thread_.joinable()) {
      if (thread_.get_id() == std::this_thread::get_id()) thread_.detach();  // never from a callback; survive it anyway
      else thread_.join();
    }
    delete this;
  }

  void Init() override {
    if (started_.exchange(true)) return;
    thread_ = std::thread([this] { Run(); });
  }

  int Join() override {
    if (thread_.joinable()) thread_.join();
    return 0;
  }

  const char* GetTradingDay() override { return tradingDay_; }

  void RegisterFront(char* frontAddress) override {
    Front f;
    if (parseFront(frontAddress, &f)) fronts_.push_back(f);
  }

  void RegisterNameServer(char*) override {}
  void RegisterFensUserInfo(abi::FensUserInfo*) override {}
  void RegisterSpi(void* spi) override { spi_.store(static_cast<abi::MdSpi*>(spi)); }

  int SubscribeMarketData(char* ids[], int count) override { return SendIds('s', ids, count); }
  int UnSubscribeMarketData(char* ids[], int count) override { return SendIds('u', ids, count); }
  int SubscribeForQuoteRsp(char*[], int) override { return connected_.load() ? 0 : -1; }
  int UnSubscribeForQuoteRsp(char*[], int) override { return connected_.load() ? 0 : -1; }

  int ReqUserLogin(abi::ReqUserLogin* req, int requestId) override {
    std::vector<char> payload(4 + sizeof(abi::ReqUserLogin));
    std::memcpy(payload.data(), &requestId, 4);
    std::memcpy(payload.data() + 4, req, sizeof(abi::ReqUserLogin));
    return Send('l', payload) ? 0 : -1;
  }

  int ReqUserLogout(abi::UserLogout*, int) override { return connected_.load() ? 0 : -1; }

#if !defined(MDSIM_SOPT)
  int ReqQryMulticastInstrument(abi::QryMulticastInstrument*, int) override { return connected_.load() ? 0 : -1; }
#endif

 private:
  abi::MdSpi* spi() { return spi_.load(); }

  int SendIds(char type, char* ids[], int count) {
    if (count < 0 || (count > 0 && ids == nullptr)) return -1;
    std::vector<char> payload(8);
    const int requestId = ++requestIds_;
    std::memcpy(payload.data(), &requestId, 4);
    std::memcpy(payload.data() + 4, &count, 4);
    for (int i = 0; i < count; i++) {
      const char* id = ids[i] ? ids[i] : "";
      payload.insert(payload.end(), id, id + std::strlen(id) + 1);
    }
    return Send(type, payload) ? 0 : -1;
  }

  bool Send(char type, const std::vector<char>& payload) {
    std::lock_guard<std::mutex> g(sendMu_);
    if (fd_ < 0 || !connected_.load()) return false;
    return WriteFrame(fd_, type, payload.data(), payload.size());
  }

  static bool WriteAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          pollfd pf{fd, POLLOUT, 0};
          ::poll(&pf, 1, 100);
          continue;
        }
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  static bool WriteFrame(int fd, char type, const char* payload, size_t n) {
    char head[5];
    const uint32_t len = static_cast<uint32_t>(n + 1);
    std::memcpy(head, &len, 4);
    head[4] = type;
    return WriteAll(fd, head, 5) && (n == 0 || WriteAll(fd, payload, n));
  }

  int Connect(const Front& f) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(f.host.c_str(), std::to_string(f.port).c_str(), &hints, &res) != 0 || res == nullptr) return -1;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      ::freeaddrinfo(res);
      return -1;
    }
    const int flags = ::fcntl(fd, F_GETFL, 0);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
    ::freeaddrinfo(res);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd pf{fd, POLLOUT, 0};
      rc = ::poll(&pf, 1, 1000) == 1 ? 0 : -1;
      int err = 0;
      socklen_t len = sizeof err;
      if (rc == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)) rc = -1;
    }
    if (rc < 0) {
      ::close(fd);
      return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }

  void Sleep(int ms) {
    const int64_t until = nowMs() + ms;
    while (!stop_.load() && nowMs() < until) std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(20, until - nowMs())));
  }

  void Disconnected(int reason) {
    {
      std::lock_guard<std::mutex> g(sendMu_);
      connected_.store(false);
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    }
    std::printf("CThostFtdcUserApiImplBase::OnSessionDisconnected[mdhub-sim][%d]\n", reason);
    std::fflush(stdout);
    if (abi::MdSpi* s = spi()) s->OnFrontDisconnected(reason);
  }

  void Run() {
    size_t next = 0;
    while (!stop_.load()) {
      if (fronts_.empty()) {
        Sleep(settings_.retryMs);
        continue;
      }
      // Try each front once; a front that refuses is silent (no callback), as the vendor's are.
      int fd = -1;
      for (size_t tried = 0; tried < fronts_.size() && fd < 0 && !stop_.load(); tried++) {
        fd = Connect(fronts_[next]);
        next = (next + 1) % fronts_.size();
      }
      if (fd < 0) {
        Sleep(settings_.retryMs);
        continue;
      }
      {
        std::lock_guard<std::mutex> g(sendMu_);
        fd_ = fd;
      }
      WriteFrame(fd, 'h', nullptr, 0);
      const int reason = Session(fd);
      if (stop_.load()) break;
      Disconnected(reason);
      Sleep(settings_.reconnectMs);
    }
    std::lock_guard<std::mutex> g(sendMu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads frames until the session ends; returns the disconnect reason.
  int Session(int fd) {
    std::vector<char> buf;
    buf.reserve(1 << 16);
    char chunk[1 << 16];
    int64_t lastRx = nowMs();
    int64_t lastPing = nowMs();
    bool warned = false;
    while (!stop_.load()) {
      pollfd pf{fd, POLLIN, 0};
      const int pr = ::poll(&pf, 1, 50);
      const int64_t now = nowMs();
      if (pr > 0) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n == 0) return mdhub_abi::kNetworkRead;
        if (n < 0) {
          if (errno == EINTR || errno == EAGAIN) continue;
          return mdhub_abi::kNetworkRead;
        }
        buf.insert(buf.end(), chunk, chunk + n);
        lastRx = now;
        warned = false;
        size_t off = 0;
        while (buf.size() - off >= 5) {
          uint32_t len;
          std::memcpy(&len, buf.data() + off, 4);
          if (len == 0 || len > (16u << 20)) return mdhub_abi::kBadMessage;
          if (buf.size() - off < 4 + static_cast<size_t>(len)) break;
          const char type = buf[off + 4];
          Dispatch(type, buf.data() + off + 5, len - 1);
          off += 4 + len;
          if (stop_.load()) return mdhub_abi::kNetworkRead;
        }
        buf.erase(buf.begin(), buf.begin() + static_cast<long>(off));
      }
      if (connected_.load() && now - lastPing >= settings_.pingMs) {
        lastPing = now;
        std::lock_guard<std::mutex> g(sendMu_);
        if (!WriteFrame(fd, 'p', nullptr, 0)) return mdhub_abi::kNetworkWrite;
      }
      if (!warned && now - lastRx >= settings_.heartbeatWarnMs) {
        warned = true;
        if (abi::MdSpi* s = spi()) s->OnHeartBeatWarning(static_cast<int>((now - lastRx) / 1000));
      }
      if (now - lastRx >= settings_.heartbeatTimeoutMs) return mdhub_abi::kHeartbeatTimeout;
    }
    return mdhub_abi::kNetworkRead;
  }

  template <typename T>
  static void CopyStruct(T* out, const char* p, size_t n) {
    std::memset(out, 0, sizeof(T));
    std::memcpy(out, p, std::min(n, sizeof(T)));
  }

  void Dispatch(char type, const char* p, size_t n) {
    abi::MdSpi* s = spi();
    switch (type) {
      case 'W':
        connected_.store(true);
        if (s) s->OnFrontConnected();
        break;
      case 'H':
        break;
      case 'L': {
        if (n < 5) return;
        int requestId;
        std::memcpy(&requestId, p, 4);
        const bool isLast = p[4] != 0;
        LoginRsp rsp;
        abi::RspInfo info;
        CopyStruct(&rsp, p + 5, n - 5);
        CopyStruct(&info, p + 5 + sizeof(LoginRsp), n > 5 + sizeof(LoginRsp) ? n - 5 - sizeof(LoginRsp) : 0);
        if (info.ErrorID == 0 && rsp.TradingDay[0] != 0) {
          std::memcpy(tradingDay_, rsp.TradingDay, sizeof tradingDay_);
          tradingDay_[8] = 0;
        }
#if defined(MDSIM_SOPT)
        if (s) s->OnRspUserLogin(&rsp, &info, requestId, isLast);
#else
        if (s) s->OnRspUserLogin(reinterpret_cast<abi::RspUserLogin677*>(&rsp), &info, requestId, isLast);
#endif
        break;
      }
      case 'S':
      case 'U': {
        if (n < 5) return;
        int requestId;
        std::memcpy(&requestId, p, 4);
        const bool isLast = p[4] != 0;
        abi::SpecificInstrument si;
        abi::RspInfo info;
        CopyStruct(&si, p + 5, n - 5);
        CopyStruct(&info, p + 5 + sizeof(si), n > 5 + sizeof(si) ? n - 5 - sizeof(si) : 0);
        if (!s) break;
        if (type == 'S') s->OnRspSubMarketData(&si, info.ErrorID == 0 ? nullptr : &info, requestId, isLast);
        else s->OnRspUnSubMarketData(&si, info.ErrorID == 0 ? nullptr : &info, requestId, isLast);
        break;
      }
      case 'E': {
        if (n < 5) return;
        int requestId;
        std::memcpy(&requestId, p, 4);
        abi::RspInfo info;
        CopyStruct(&info, p + 5, n - 5);
        if (s) s->OnRspError(&info, requestId, p[4] != 0);
        break;
      }
      case 'D': {
        // A fresh copy per call: the pointer is valid only during the callback, as the vendor's is.
        abi::DepthMarketData depth;
        CopyStruct(&depth, p, n);
        if (s) s->OnRtnDepthMarketData(&depth);
        break;
      }
      case 'X': {
        const int kind = n > 0 ? p[0] : 0;
        if (kind == 1) std::abort();
        if (kind == 2) {
          for (;;) ::pause();  // the library thread hangs: no callback ever again
        }
        if (kind == 3) std::raise(SIGSEGV);
        if (kind == 4) {
          std::printf("mdhub-sim: a diagnostic line on stdout, as vendor libraries print\n");
          std::fflush(stdout);
        }
        break;
      }
      default:
        break;
    }
  }

  const std::string prefix_;
  const Settings settings_;
  std::vector<Front> fronts_;
  std::atomic<abi::MdSpi*> spi_{nullptr};
  std::atomic<bool> stop_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> connected_{false};
  std::atomic<int> requestIds_{0};
  std::mutex sendMu_;
  int fd_ = -1;
  std::thread thread_;
  char tradingDay_[9];
};

CThostFtdcMdApi* Create(const char* flowPath) {
  const std::string prefix(flowPath ? flowPath : "");
  const auto slash = prefix.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : prefix.substr(0, slash));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    // The vendor prints this and then crashes; the simulator reports it and returns no object.
    std::fprintf(stderr, "can not open CFlow file: %s does not exist\n", dir.c_str());
    return nullptr;
  }
  for (const char* f : {"DialogRsp.con", "QueryRsp.con", "TradingDay.con"}) {
    std::ofstream(prefix + f, std::ios::app);
  }
  return new SimApi(prefix, readSettings(prefix + "mdsim.conf"));
}

}  // namespace

#if defined(MDSIM_CTP6711)
CThostFtdcMdApi* CThostFtdcMdApi::CreateFtdcMdApi(const char* flowPath, const bool, const bool, bool) { return Create(flowPath); }
#else
CThostFtdcMdApi* CThostFtdcMdApi::CreateFtdcMdApi(const char* flowPath, const bool, const bool) { return Create(flowPath); }
#endif

const char* CThostFtdcMdApi::GetApiVersion() { return MDSIM_VERSION; }
