// mdhub's N-API binding to the vendor market-data library (CTP 6.7.7, CTP 6.7.11, SOPT 3.7).
//
// The library is dlopen()ed at run time from the path the user configured; the factory and version
// symbols of the configured flavour are resolved (a missing file, a library of another flavour or no md
// library at all are named errors, never a crash). One Spi class per flavour (their vtables diverge after
// slot 4) copies every callback's struct into a bounded queue and returns at once: the vendor's thread
// never blocks and never runs JavaScript. A thread-safe function wakes the JS thread, which drains the
// queue and turns each struct into a JS object with cached property keys (sentinel prices become 0, GBK
// text becomes UTF-8). When the queue is full, market data is conflated per instrument (the newest
// snapshot replaces the queued one) and what is lost is counted. An exception thrown by the JS callback is
// caught on the JS thread; nothing unwinds into the vendor's thread.

#include <dlfcn.h>
#include <iconv.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <napi.h>

#include "ctp_abi.h"

namespace {

namespace ctp = mdhub_abi::ctp;
namespace sopt = mdhub_abi::sopt;

enum class Flavour { Ctp677, Ctp6711, Sopt };

int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

/** A price the vendor marks absent (DBL_MAX, its negative, NaN, infinities) is 0 on the wire. */
double Price(double v) {
  if (!std::isfinite(v) || std::fabs(v) >= DBL_MAX) return 0.0;
  return v;
}

/** A fixed char field as a string: up to the first NUL, never past the field. */
std::string Field(const char* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != '\0') len++;
  return std::string(p, len);
}

/** GBK (GB18030) text to UTF-8; bytes that do not convert are dropped. */
std::string Gbk(const char* p, size_t n) {
  const std::string in = Field(p, n);
  bool ascii = true;
  for (unsigned char c : in) ascii = ascii && c < 0x80;
  if (ascii) return in;
  iconv_t cd = iconv_open("UTF-8//IGNORE", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return in;
  std::string out(in.size() * 4 + 4, '\0');
  char* src = const_cast<char*>(in.data());
  size_t srcLeft = in.size();
  char* dst = out.data();
  size_t dstLeft = out.size();
  while (srcLeft > 0) {
    if (iconv(cd, &src, &srcLeft, &dst, &dstLeft) == static_cast<size_t>(-1)) {
      // With //IGNORE glibc may report EILSEQ after consuming everything: never step past the input.
      if ((errno == EILSEQ || errno == EINVAL) && srcLeft > 0) {
        src++;
        srcLeft--;
        continue;
      }
      break;
    }
  }
  iconv_close(cd);
  out.resize(out.size() - dstLeft);
  return out;
}

enum class Kind : uint8_t { Connected, Disconnected, HeartbeatWarning, Login, Sub, Unsub, Error, Depth };

/** One callback, copied. `data` holds the struct(s) as the library passed them. */
struct Event {
  Kind kind;
  int32_t a = 0;        // reason, seconds or request id
  bool last = false;
  bool hasInfo = false;
  int64_t recvNs = 0;
  std::string key;      // instrument of a depth event (conflation)
  char data[600];       // the largest struct: CTP depth (584); a login response (204) + RspInfo (88) fits
  char info[sizeof(ctp::RspInfo)];
};

constexpr size_t kMaxQueue = 50000;

class Session;

/** What both Spi classes hand their copies to. */
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Push(Event&& e) = 0;
  std::atomic<int64_t> inCallbackSinceNs{0};
  std::atomic<int64_t> lastEventNs{0};
  std::atomic<uint64_t> callbacks{0};
};

/** Marks a callback's duration (the watchdog reads it) and copies nothing past the call. */
struct InCallback {
  Sink* s;
  explicit InCallback(Sink* sink) : s(sink) {
    const int64_t now = MonoNs();
    s->inCallbackSinceNs.store(now);
    s->lastEventNs.store(now);
    s->callbacks.fetch_add(1);
  }
  ~InCallback() { s->inCallbackSinceNs.store(0); }
};

template <typename T>
void CopyInto(char* dst, const T* src) {
  if (src) std::memcpy(dst, src, sizeof(T));
  else std::memset(dst, 0, sizeof(T));
}

template <typename RspInfoT>
void FillInfo(Event& e, const RspInfoT* info) {
  e.hasInfo = info != nullptr;
  CopyInto(e.info, info);
}

// Every body is noexcept in effect: a failure to copy is dropped, nothing escapes into the vendor's thread.
#define MDHUB_GUARD(body) \
  try {                   \
    body                  \
  } catch (...) {         \
  }

/**
 * The Spi the library calls back, for either flavour (CTP and SOPT differ only in their types): each
 * callback marks its duration, copies what it was given into an Event and queues it; nothing else.
 */
template <typename Base, typename LoginT, typename InfoT, typename SpecificT, typename DepthT>
class Spi final : public Base {
 public:
  explicit Spi(Sink* s) : s_(s) {}
  void OnFrontConnected() override { MDHUB_GUARD(InCallback g(s_); Event e{}; e.kind = Kind::Connected; s_->Push(std::move(e));) }
  void OnFrontDisconnected(int reason) override { MDHUB_GUARD(InCallback g(s_); Event e{}; e.kind = Kind::Disconnected; e.a = reason; s_->Push(std::move(e));) }
  void OnHeartBeatWarning(int seconds) override { MDHUB_GUARD(InCallback g(s_); Event e{}; e.kind = Kind::HeartbeatWarning; e.a = seconds; s_->Push(std::move(e));) }
  void OnRspUserLogin(LoginT* rsp, InfoT* info, int requestId, bool isLast) override { Response(Kind::Login, rsp, info, requestId, isLast); }
  void OnRspError(InfoT* info, int requestId, bool isLast) override { Response(Kind::Error, static_cast<SpecificT*>(nullptr), info, requestId, isLast); }
  void OnRspSubMarketData(SpecificT* rsp, InfoT* info, int requestId, bool isLast) override { Response(Kind::Sub, rsp, info, requestId, isLast); }
  void OnRspUnSubMarketData(SpecificT* rsp, InfoT* info, int requestId, bool isLast) override { Response(Kind::Unsub, rsp, info, requestId, isLast); }
  void OnRtnDepthMarketData(DepthT* d) override {
    MDHUB_GUARD(if (!d) return; InCallback g(s_); Event e{}; e.kind = Kind::Depth; e.recvNs = MonoNs(); CopyInto(e.data, d);
                e.key = Field(d->InstrumentID, sizeof d->InstrumentID); s_->Push(std::move(e));)
  }

 private:
  /** A response: its struct (none for an error) and its RspInfo. */
  template <typename T>
  void Response(Kind kind, T* rsp, InfoT* info, int requestId, bool isLast) {
    MDHUB_GUARD(InCallback g(s_); Event e{}; e.kind = kind; e.a = requestId; e.last = isLast; if (kind != Kind::Error) CopyInto(e.data, rsp);
                FillInfo(e, info); s_->Push(std::move(e));)
  }

  Sink* s_;
};

using CtpSpi = Spi<ctp::MdSpi, ctp::RspUserLogin677, ctp::RspInfo, ctp::SpecificInstrument, ctp::DepthMarketData>;
using SoptSpi = Spi<sopt::MdSpi, sopt::RspUserLogin, sopt::RspInfo, sopt::SpecificInstrument, sopt::DepthMarketData>;

/** Property keys created once per environment (better-sqlite3's row builder does the same). */
struct Keys {
  static constexpr const char* kNames[] = {
      "t", "reason", "seconds", "requestId", "isLast", "errorId", "errorMsg", "tradingDay", "loginTime", "brokerId", "userId",
      "systemName", "frontId", "sessionId", "instrument",
      // depth
      "symbol", "exchange_id", "vendor_trading_day", "action_day", "update_time", "update_millisec", "last_price", "pre_settlement",
      "pre_close", "pre_open_interest", "open_price", "high_price", "low_price", "volume", "turnover", "open_interest", "settlement",
      "limit_up", "limit_down", "average_price", "bid_price_1", "bid_volume_1", "ask_price_1", "ask_volume_1", "bid_price_2",
      "bid_volume_2", "ask_price_2", "ask_volume_2", "bid_price_3", "bid_volume_3", "ask_price_3", "ask_volume_3", "bid_price_4",
      "bid_volume_4", "ask_price_4", "ask_volume_4", "bid_price_5", "bid_volume_5", "ask_price_5", "ask_volume_5", "recv_ns",
      "close_price",
  };
  static constexpr size_t kCount = sizeof(kNames) / sizeof(kNames[0]);
  /** Keys from here to the end are a depth snapshot's (besides "t"). */
  static constexpr size_t kFirstDepth = 15;
  // The key strings live in one persistent array (references to strings need N-API 10); a drain that
  // converts a control event takes fresh handles to them once, so no property costs a string creation.
  Napi::ObjectReference holder;
  std::vector<napi_value> values;  // valid within one drain, once opened
  bool open = false;
  /**
   * Depth snapshots, the hot path, are not built property by property: N-API sets cost ~100 ns each
   * (5.6 µs a snapshot measured here). A function compiled once per session, whose object literal holds
   * the depth keys, builds each one in a single call (V8 makes it from one boilerplate with its final
   * shape): 0.6 µs a snapshot. The values are still converted here, in C++.
   */
  Napi::FunctionReference depthShape;
  /** Argument slot of each depth key in depthShape's parameter list. */
  size_t slot[kCount] = {};

  void Init(Napi::Env env) {
    Napi::Array a = Napi::Array::New(env, kCount);
    for (uint32_t i = 0; i < kCount; i++) a.Set(i, Napi::String::New(env, kNames[i]));
    holder = Napi::Persistent(a.As<Napi::Object>());
    std::string params, body = "t:\"depth\"";
    for (size_t k = kFirstDepth; k < kCount; k++) {
      const std::string arg = "a" + std::to_string(k - kFirstDepth);
      slot[k] = k - kFirstDepth;
      params += (k > kFirstDepth ? "," : "") + arg;
      body += std::string(",") + kNames[k] + ":" + arg;
    }
    const std::string src = "(function depthEvent(" + params + "){return {" + body + "};})";
    napi_value script;
    napi_value fn;
    napi_create_string_utf8(env, src.data(), src.size(), &script);
    if (napi_run_script(env, script, &fn) != napi_ok) throw Napi::Error::New(env, "cannot compile the depth object shape");
    depthShape = Napi::Persistent(Napi::Function(env, fn));
  }
  void Open() {
    if (open) return;
    values.resize(kCount);
    Napi::Object a = holder.Value();
    for (uint32_t i = 0; i < kCount; i++) values[i] = a.Get(i);
    open = true;
  }
  static constexpr size_t kDepthArgs = kCount - kFirstDepth;
};

enum K : size_t {
  kT, kReason, kSeconds, kRequestId, kIsLast, kErrorId, kErrorMsg, kTradingDay, kLoginTime, kBrokerId, kUserId, kSystemName, kFrontId,
  kSessionId, kInstrument, kSymbol, kExchangeId, kVendorTradingDay, kActionDay, kUpdateTime, kUpdateMillisec, kLastPrice, kPreSettlement,
  kPreClose, kPreOpenInterest, kOpenPrice, kHighPrice, kLowPrice, kVolume, kTurnover, kOpenInterest, kSettlement, kLimitUp, kLimitDown,
  kAveragePrice, kBidP1, kBidV1, kAskP1, kAskV1, kBidP2, kBidV2, kAskP2, kAskV2, kBidP3, kBidV3, kAskP3, kAskV3, kBidP4, kBidV4, kAskP4,
  kAskV4, kBidP5, kBidV5, kAskP5, kAskV5, kRecvNs, kClosePrice,
};

class Session : public Napi::ObjectWrap<Session>, public Sink {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session", {
      InstanceMethod("registerFront", &Session::RegisterFront),
      InstanceMethod("init", &Session::InitApi),
      InstanceMethod("login", &Session::Login),
      InstanceMethod("subscribe", &Session::Subscribe),
      InstanceMethod("unsubscribe", &Session::Unsubscribe),
      InstanceMethod("tradingDay", &Session::TradingDay),
      InstanceMethod("stats", &Session::Stats),
      InstanceMethod("decodeDepth", &Session::DecodeDepth),
      InstanceMethod("testHoldQueue", &Session::TestHoldQueue),
      InstanceMethod("release", &Session::Release),
    });
  }

  // new Session(library, flavour, flowPath, productionMode, onEvents[, queueCapacity])
  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[4].IsFunction()) {
      throw Napi::TypeError::New(env, "Session(library, flavour, flowPath, productionMode, onEvents)");
    }
    const std::string library = info[0].As<Napi::String>();
    flavour_ = ParseFlavour(env, info[1].As<Napi::String>());
    const std::string flow = info[2].As<Napi::String>();
    const bool production = info[3].ToBoolean();
    if (info.Length() > 5 && info[5].IsNumber()) capacity_ = std::max<size_t>(16, static_cast<size_t>(info[5].As<Napi::Number>().Int64Value()));
    handle_ = Open(env, library, flavour_);
    void* factory = dlsym(handle_, FactorySymbol(flavour_));
    void* api = nullptr;
    if (flavour_ == Flavour::Ctp6711) api = reinterpret_cast<void* (*)(const char*, bool, bool, bool)>(factory)(flow.c_str(), false, false, production);
    else api = reinterpret_cast<void* (*)(const char*, bool, bool)>(factory)(flow.c_str(), false, false);
    if (!api) Throw(env, "MDH_ERR_CTP_CREATE_FAILED", "the library's CreateFtdcMdApi returned no API object (is the flow folder there?): " + flow);
    api_ = api;
    keys_.Init(env);
    // Finalized (on the JS thread) once released and every queued drain has run: only then may a released
    // session be collected.
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[4].As<Napi::Function>(), "mdhub-vendor-events", 0, 1, this,
                                          [](Napi::Env, Session* self) { if (self->releasing_) self->Unref(); });
    if (flavour_ == Flavour::Sopt) {
      soptSpi_ = new SoptSpi(this);
      Sopt()->RegisterSpi(soptSpi_);
    } else {
      ctpSpi_ = new CtpSpi(this);
      Ctp()->RegisterSpi(ctpSpi_);
    }
  }

  ~Session() override {
    // release() is the orderly way; a session collected without it must not leave the vendor calling us.
    if (api_) ReleaseNow();
  }

  /** Vendor thread: queue a copy, wake the JS thread once. Never blocks for long, never calls into JS. */
  void Push(Event&& e) override {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (e.kind == Kind::Depth && depthQueued_ >= capacity_) {
        auto it = pendingDepth_.find(e.key);
        if (it != pendingDepth_.end() && it->second >= popped_) {
          queue_[static_cast<size_t>(it->second - popped_)] = std::move(e);  // the newest state of that instrument replaces the queued one
          conflated_++;
        } else {
          dropped_++;
        }
        return;
      }
      if (e.kind == Kind::Depth) {
        pendingDepth_[e.key] = pushed_;
        if (++depthQueued_ > maxDepthQueued_) maxDepthQueued_ = depthQueued_;
      }
      queue_.push_back(std::move(e));
      pushed_++;
      if (queue_.size() > maxQueued_) maxQueued_ = queue_.size();
    }
    if (!signalled_.exchange(true)) {
      if (tsfn_.NonBlockingCall(this, [](Napi::Env env, Napi::Function cb, Session* self) { self->Drain(env, cb); }) != napi_ok) signalled_.store(false);
    }
  }

 private:
  static Flavour ParseFlavour(Napi::Env env, const std::string& f) {
    if (f == "ctp-6.7.7") return Flavour::Ctp677;
    if (f == "ctp-6.7.11") return Flavour::Ctp6711;
    if (f == "sopt") return Flavour::Sopt;
    throw Napi::TypeError::New(env, "flavour must be ctp-6.7.7, ctp-6.7.11 or sopt");
  }

  static const char* FactorySymbol(Flavour f) {
    switch (f) {
      case Flavour::Ctp677: return mdhub_abi::symbols::kCtp677Factory;
      case Flavour::Ctp6711: return mdhub_abi::symbols::kCtp6711Factory;
      case Flavour::Sopt: return mdhub_abi::symbols::kSoptFactory;
    }
    return "";
  }

  static const char* FlavourName(Flavour f) {
    switch (f) {
      case Flavour::Ctp677: return "ctp-6.7.7";
      case Flavour::Ctp6711: return "ctp-6.7.11";
      case Flavour::Sopt: return "sopt";
    }
    return "";
  }

  [[noreturn]] static void Throw(Napi::Env env, const std::string& code, const std::string& message) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, code));
    throw e;
  }

 public:
  /** dlopen()s a vendor library and checks it exports the configured flavour's symbols. */
  static void* Open(Napi::Env env, const std::string& library, Flavour flavour) {
    struct stat st {};
    if (stat(library.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) Throw(env, "MDH_ERR_CTP_LIBRARY_NOT_FOUND", "no vendor library at " + library);
    void* h = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* why = dlerror();
      Throw(env, "MDH_ERR_CTP_LIBRARY_LOAD", std::string("dlopen failed: ") + (why ? why : "unknown"));
    }
    if (dlsym(h, FactorySymbol(flavour)) != nullptr && dlsym(h, flavour == Flavour::Sopt ? mdhub_abi::symbols::kSoptVersion : mdhub_abi::symbols::kCtpVersion) != nullptr) return h;
    // Which flavour is it, then? Probe the others (spec §3).
    for (Flavour other : {Flavour::Ctp6711, Flavour::Ctp677, Flavour::Sopt}) {
      if (other != flavour && dlsym(h, FactorySymbol(other)) != nullptr) {
        dlclose(h);
        Throw(env, "MDH_ERR_CTP_FLAVOUR_MISMATCH", std::string("the library is ") + FlavourName(other) + ", not " + FlavourName(flavour) + ": " + library);
      }
    }
    dlclose(h);
    Throw(env, "MDH_ERR_CTP_SYMBOL_MISSING", "the library exports no market-data API factory (CreateFtdcMdApi): " + library);
  }

  static Napi::Value Version(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "version(library, flavour)");
    const Flavour f = ParseFlavour(env, info[1].As<Napi::String>());
    void* h = Open(env, info[0].As<Napi::String>(), f);
    auto fn = reinterpret_cast<const char* (*)()>(dlsym(h, f == Flavour::Sopt ? mdhub_abi::symbols::kSoptVersion : mdhub_abi::symbols::kCtpVersion));
    return Napi::String::New(env, fn ? fn() : "");
  }

 private:
  ctp::MdApi* Ctp() { return static_cast<ctp::MdApi*>(api_); }
  sopt::MdApi* Sopt() { return static_cast<sopt::MdApi*>(api_); }

  void Alive(Napi::Env env) {
    if (!api_ || releasing_) Throw(env, "MDH_ERR_CTP_RELEASED", "the session was released");
  }

  Napi::Value RegisterFront(const Napi::CallbackInfo& info) {
    Alive(info.Env());
    std::string a = info[0].As<Napi::String>();
    if (flavour_ == Flavour::Sopt) Sopt()->RegisterFront(a.data());
    else Ctp()->RegisterFront(a.data());
    return info.Env().Undefined();
  }

  Napi::Value InitApi(const Napi::CallbackInfo& info) {
    Alive(info.Env());
    if (flavour_ == Flavour::Sopt) Sopt()->Init();
    else Ctp()->Init();
    return info.Env().Undefined();
  }

  static void Put(char* dst, size_t n, const std::string& v, Napi::Env env, const char* what) {
    if (v.size() >= n) Throw(env, "MDH_ERR_CTP_FIELD_TOO_LONG", std::string(what) + " is longer than " + std::to_string(n - 1) + " bytes");
    std::memcpy(dst, v.data(), v.size());
  }

  // login(brokerId, userId, password, requestId) → the library's return code (0 sent, -1 not connected, …)
  Napi::Value Login(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Alive(env);
    ctp::ReqUserLogin req;  // the same layout in SOPT
    std::memset(&req, 0, sizeof req);
    Put(req.BrokerID, sizeof req.BrokerID, info[0].As<Napi::String>(), env, "broker_id");
    Put(req.UserID, sizeof req.UserID, info[1].As<Napi::String>(), env, "user_id");
    std::string pw = info[2].As<Napi::String>();
    Put(req.Password, sizeof req.Password, pw, env, "password");
    std::fill(pw.begin(), pw.end(), '\0');
    const int requestId = info[3].As<Napi::Number>().Int32Value();
    const int rc = flavour_ == Flavour::Sopt ? Sopt()->ReqUserLogin(reinterpret_cast<sopt::ReqUserLogin*>(&req), requestId) : Ctp()->ReqUserLogin(&req, requestId);
    std::memset(&req, 0, sizeof req);
    return Napi::Number::New(env, rc);
  }

  Napi::Value Ids(const Napi::CallbackInfo& info, bool subscribe) {
    Napi::Env env = info.Env();
    Alive(env);
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "an array of instrument ids");
    Napi::Array arr = info[0].As<Napi::Array>();
    const size_t max = flavour_ == Flavour::Sopt ? sizeof(sopt::SpecificInstrument::InstrumentID) : sizeof(ctp::SpecificInstrument::InstrumentID);
    std::vector<std::string> ids;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      std::string id = arr.Get(i).As<Napi::String>();
      if (id.empty() || id.size() >= max) Throw(env, "MDH_ERR_CTP_FIELD_TOO_LONG", "instrument id '" + id + "' does not fit the vendor's field");
      ids.push_back(std::move(id));
    }
    std::vector<char*> ptrs;
    for (auto& s : ids) ptrs.push_back(s.data());
    const int n = static_cast<int>(ptrs.size());
    int rc;
    if (flavour_ == Flavour::Sopt) rc = subscribe ? Sopt()->SubscribeMarketData(ptrs.data(), n) : Sopt()->UnSubscribeMarketData(ptrs.data(), n);
    else rc = subscribe ? Ctp()->SubscribeMarketData(ptrs.data(), n) : Ctp()->UnSubscribeMarketData(ptrs.data(), n);
    return Napi::Number::New(env, rc);
  }
  Napi::Value Subscribe(const Napi::CallbackInfo& info) { return Ids(info, true); }
  Napi::Value Unsubscribe(const Napi::CallbackInfo& info) { return Ids(info, false); }

  Napi::Value TradingDay(const Napi::CallbackInfo& info) {
    Alive(info.Env());
    const char* d = flavour_ == Flavour::Sopt ? Sopt()->GetTradingDay() : Ctp()->GetTradingDay();
    return Napi::String::New(info.Env(), d ? Field(d, 9) : "");
  }

  /**
   * Converts the bytes of one depth struct exactly as a callback's copy is converted (the same copy and
   * the same Convert): conversion vectors built by hand at the spec's offsets go through the real path.
   */
  Napi::Value DecodeDepth(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "decodeDepth(buffer): a Buffer holding one depth struct");
    auto b = info[0].As<Napi::Buffer<char>>();
    const size_t need = flavour_ == Flavour::Sopt ? sizeof(sopt::DepthMarketData) : sizeof(ctp::DepthMarketData);
    if (b.Length() != need) throw Napi::RangeError::New(env, "decodeDepth: expected " + std::to_string(need) + " bytes, got " + std::to_string(b.Length()));
    Event e{};
    e.kind = Kind::Depth;
    e.recvNs = MonoNs();
    std::memcpy(e.data, b.Data(), need);
    keys_.open = false;
    return Convert(env, e);
  }

  /**
   * Test hook: another thread holds the queue's lock for `ms`, so a vendor callback pushing an event
   * blocks inside the binding as long (what the watchdog's callback-duration bound is for).
   */
  Napi::Value TestHoldQueue(const Napi::CallbackInfo& info) {
    const int ms = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    std::thread([this, ms]() {
      std::lock_guard<std::mutex> g(mu_);
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }).detach();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    {
      // Never wait for the queue's lock here: the watchdog reads these stats, and a thread stuck holding
      // the lock is exactly what it must see. The queue's figures are -1 while the lock is held.
      std::unique_lock<std::mutex> g(mu_, std::try_to_lock);
      const bool have = g.owns_lock();
      o.Set("queued", have ? static_cast<double>(queue_.size()) : -1.0);
      o.Set("maxQueued", have ? static_cast<double>(maxQueued_) : -1.0);
      o.Set("maxQueuedDepth", have ? static_cast<double>(maxDepthQueued_) : -1.0);
      o.Set("capacity", static_cast<double>(capacity_));
      o.Set("dropped", have ? static_cast<double>(dropped_) : -1.0);
      o.Set("conflated", have ? static_cast<double>(conflated_) : -1.0);
    }
    const int64_t now = MonoNs();
    const int64_t since = inCallbackSinceNs.load();
    const int64_t last = lastEventNs.load();
    o.Set("callbacks", static_cast<double>(callbacks.load()));
    o.Set("inCallbackMs", since == 0 ? 0.0 : static_cast<double>(now - since) / 1e6);
    o.Set("sinceLastEventMs", last == 0 ? -1.0 : static_cast<double>(now - last) / 1e6);
    o.Set("jsErrors", static_cast<double>(jsErrors_));
    return o;
  }

  /** RegisterSpi(nullptr) then Release(), the vendor's order; the object is not touched afterwards. */
  void ReleaseNow() {
    void* api = api_;
    api_ = nullptr;
    if (!api) return;
    if (flavour_ == Flavour::Sopt) {
      static_cast<sopt::MdApi*>(api)->RegisterSpi(nullptr);
      static_cast<sopt::MdApi*>(api)->Release();
    } else {
      static_cast<ctp::MdApi*>(api)->RegisterSpi(nullptr);
      static_cast<ctp::MdApi*>(api)->Release();
    }
    delete ctpSpi_;
    delete soptSpi_;
    ctpSpi_ = nullptr;
    soptSpi_ = nullptr;
  }

  /**
   * RegisterSpi(null) + Release() on a detached thread of its own: Release can take seconds (spec §7.3) or,
   * in a broken library, never return. On libuv's thread pool a hung Release would also hang the process's
   * exit (Node joins the pool's threads); a detached thread does not. The promise settles through a
   * thread-safe function of its own; the events' function is released then, and its finalizer drops the
   * reference that kept this object alive (so a drain still queued can never touch a collected session).
   */
  Napi::Value Release(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    if (!api_ || releasing_) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    releasing_ = true;
    Ref();  // until the events' thread-safe function is finalized
    auto* done = new Napi::Promise::Deferred(deferred);
    Napi::ThreadSafeFunction settle = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "mdhub-vendor-release", 0, 1);
    std::thread([this, settle, done]() mutable {
      ReleaseNow();
      settle.BlockingCall(done, [this](Napi::Env e, Napi::Function, Napi::Promise::Deferred* d) {
        tsfn_.Release();
        d->Resolve(e.Undefined());
        delete d;
      });
      settle.Release();
    }).detach();
    return deferred.Promise();
  }

  // ---- JS thread: drain and convert ----

  void Drain(Napi::Env env, Napi::Function cb) {
    signalled_.store(false);
    std::deque<Event> batch;
    {
      std::lock_guard<std::mutex> g(mu_);
      batch.swap(queue_);
      popped_ += batch.size();
      pendingDepth_.clear();
      depthQueued_ = 0;
    }
    // After release() nothing more reaches JS, even what was queued before it.
    if (batch.empty() || env == nullptr || releasing_) return;
    Napi::HandleScope scope(env);
    keys_.open = false;  // handles of an earlier drain's scope are gone
    Napi::Array out = Napi::Array::New(env, batch.size());
    uint32_t i = 0;
    for (const Event& e : batch) out.Set(i++, Convert(env, e));
    try {
      cb.Call({out});
    } catch (const Napi::Error&) {
      jsErrors_++;  // the JS side's exception stays on the JS thread: counted, never unwound into the vendor
    }
  }

  /** While a depth snapshot is converted, values go to the shape function's arguments instead of properties. */
  napi_value depthArgs_[Keys::kDepthArgs] = {};
  bool inDepth_ = false;
  void Set(napi_env env, napi_value obj, size_t key, napi_value v) {
    if (inDepth_) {
      depthArgs_[keys_.slot[key]] = v;
      return;
    }
    keys_.Open();
    napi_set_property(env, obj, keys_.values[key], v);
  }
  void Num(napi_env env, napi_value obj, size_t key, double v) {
    napi_value n;
    napi_create_double(env, v, &n);
    Set(env, obj, key, n);
  }
  void Str(napi_env env, napi_value obj, size_t key, const std::string& s) {
    napi_value v;
    napi_create_string_utf8(env, s.data(), s.size(), &v);
    Set(env, obj, key, v);
  }
  void Bool(napi_env env, napi_value obj, size_t key, bool b) {
    napi_value v;
    napi_get_boolean(env, b, &v);
    Set(env, obj, key, v);
  }

  void Info(napi_env env, napi_value o, const Event& e) {
    ctp::RspInfo info;  // the same layout in SOPT
    std::memcpy(&info, e.info, sizeof info);
    Num(env, o, kErrorId, e.hasInfo ? info.ErrorID : 0);
    Str(env, o, kErrorMsg, e.hasInfo ? Gbk(info.ErrorMsg, sizeof info.ErrorMsg) : std::string());
  }

  template <typename D>
  void Depth(napi_env env, napi_value o, const D& d) {
    Str(env, o, kSymbol, Field(d.InstrumentID, sizeof d.InstrumentID));
    Str(env, o, kExchangeId, Field(d.ExchangeID, sizeof d.ExchangeID));
    Str(env, o, kVendorTradingDay, Field(d.TradingDay, sizeof d.TradingDay));
    Str(env, o, kActionDay, Field(d.ActionDay, sizeof d.ActionDay));
    Str(env, o, kUpdateTime, Field(d.UpdateTime, sizeof d.UpdateTime));
    Num(env, o, kUpdateMillisec, d.UpdateMillisec);
    Num(env, o, kLastPrice, Price(d.LastPrice));
    Num(env, o, kPreSettlement, Price(d.PreSettlementPrice));
    Num(env, o, kPreClose, Price(d.PreClosePrice));
    Num(env, o, kPreOpenInterest, Price(d.PreOpenInterest));
    Num(env, o, kOpenPrice, Price(d.OpenPrice));
    Num(env, o, kHighPrice, Price(d.HighestPrice));
    Num(env, o, kLowPrice, Price(d.LowestPrice));
    Num(env, o, kTurnover, Price(d.Turnover));
    Num(env, o, kOpenInterest, Price(d.OpenInterest));
    Num(env, o, kClosePrice, Price(d.ClosePrice));
    Num(env, o, kSettlement, Price(d.SettlementPrice));
    Num(env, o, kLimitUp, Price(d.UpperLimitPrice));
    Num(env, o, kLimitDown, Price(d.LowerLimitPrice));
    Num(env, o, kAveragePrice, Price(d.AveragePrice));
    Num(env, o, kBidP1, Price(d.BidPrice1));
    Num(env, o, kBidV1, d.BidVolume1);
    Num(env, o, kAskP1, Price(d.AskPrice1));
    Num(env, o, kAskV1, d.AskVolume1);
    Num(env, o, kBidP2, Price(d.BidPrice2));
    Num(env, o, kBidV2, d.BidVolume2);
    Num(env, o, kAskP2, Price(d.AskPrice2));
    Num(env, o, kAskV2, d.AskVolume2);
    Num(env, o, kBidP3, Price(d.BidPrice3));
    Num(env, o, kBidV3, d.BidVolume3);
    Num(env, o, kAskP3, Price(d.AskPrice3));
    Num(env, o, kAskV3, d.AskVolume3);
    Num(env, o, kBidP4, Price(d.BidPrice4));
    Num(env, o, kBidV4, d.BidVolume4);
    Num(env, o, kAskP4, Price(d.AskPrice4));
    Num(env, o, kAskV4, d.AskVolume4);
    Num(env, o, kBidP5, Price(d.BidPrice5));
    Num(env, o, kBidV5, d.BidVolume5);
    Num(env, o, kAskP5, Price(d.AskPrice5));
    Num(env, o, kAskV5, d.AskVolume5);
  }

  /** A depth snapshot: the struct's values converted here, the object built by the session's shape function in one call. */
  Napi::Value ConvertDepth(Napi::Env env, const Event& e) {
    napi_value o = nullptr;
    for (auto& a : depthArgs_) a = nullptr;
    inDepth_ = true;
    if (flavour_ == Flavour::Sopt) {
      sopt::DepthMarketData d;
      std::memcpy(&d, e.data, sizeof d);
      Depth(env, o, d);
      // SOPT also carries a 64-bit volume; the 32-bit one is the one every flavour has
      Num(env, o, kVolume, d.BigVolume > 0 ? static_cast<double>(d.BigVolume) : d.Volume);
    } else {
      ctp::DepthMarketData d;
      std::memcpy(&d, e.data, sizeof d);
      Depth(env, o, d);
      Num(env, o, kVolume, d.Volume);
    }
    Num(env, o, kRecvNs, static_cast<double>(e.recvNs));
    inDepth_ = false;
    napi_value undef;
    napi_get_undefined(env, &undef);
    for (auto& a : depthArgs_) if (a == nullptr) a = undef;
    napi_value result;
    if (napi_call_function(env, undef, keys_.depthShape.Value(), Keys::kDepthArgs, depthArgs_, &result) != napi_ok) throw Napi::Error::New(env, "depth object shape failed");
    return Napi::Value(env, result);
  }

  Napi::Value Convert(Napi::Env env, const Event& e) {
    napi_value o;
    if (e.kind == Kind::Depth) return ConvertDepth(env, e);
    napi_create_object(env, &o);
    switch (e.kind) {
      case Kind::Connected:
        Str(env, o, kT, "connected");
        break;
      case Kind::Disconnected:
        Str(env, o, kT, "disconnected");
        Num(env, o, kReason, e.a);
        break;
      case Kind::HeartbeatWarning:
        Str(env, o, kT, "heartbeat_warning");
        Num(env, o, kSeconds, e.a);
        break;
      case Kind::Login: {
        Str(env, o, kT, "login");
        Num(env, o, kRequestId, e.a);
        Bool(env, o, kIsLast, e.last);
        Info(env, o, e);
        ctp::RspUserLogin677 r;  // SOPT's is a prefix of it: read the common fields only
        std::memcpy(&r, e.data, sizeof(sopt::RspUserLogin));
        Str(env, o, kTradingDay, Field(r.TradingDay, sizeof r.TradingDay));
        Str(env, o, kLoginTime, Field(r.LoginTime, sizeof r.LoginTime));
        Str(env, o, kBrokerId, Field(r.BrokerID, sizeof r.BrokerID));
        Str(env, o, kUserId, Field(r.UserID, sizeof r.UserID));
        Str(env, o, kSystemName, Gbk(r.SystemName, sizeof r.SystemName));
        Num(env, o, kFrontId, r.FrontID);
        Num(env, o, kSessionId, r.SessionID);
        break;
      }
      case Kind::Sub:
      case Kind::Unsub: {
        Str(env, o, kT, e.kind == Kind::Sub ? "sub" : "unsub");
        Num(env, o, kRequestId, e.a);
        Bool(env, o, kIsLast, e.last);
        Info(env, o, e);
        if (flavour_ == Flavour::Sopt) Str(env, o, kInstrument, Field(e.data, sizeof(sopt::SpecificInstrument::InstrumentID)));
        else Str(env, o, kInstrument, Field(e.data + offsetof(ctp::SpecificInstrument, InstrumentID), sizeof(ctp::SpecificInstrument::InstrumentID)));
        break;
      }
      case Kind::Error:
        Str(env, o, kT, "error");
        Num(env, o, kRequestId, e.a);
        Bool(env, o, kIsLast, e.last);
        Info(env, o, e);
        break;
      case Kind::Depth:
        break;  // ConvertDepth
    }
    return Napi::Value(env, o);
  }

  Flavour flavour_;
  size_t capacity_ = kMaxQueue;
  void* handle_ = nullptr;
  void* api_ = nullptr;
  bool releasing_ = false;
  CtpSpi* ctpSpi_ = nullptr;
  SoptSpi* soptSpi_ = nullptr;
  Napi::ThreadSafeFunction tsfn_;
  Keys keys_;
  std::mutex mu_;
  std::deque<Event> queue_;
  std::unordered_map<std::string, uint64_t> pendingDepth_;  // instrument → sequence number of its queued depth
  uint64_t pushed_ = 0;
  uint64_t popped_ = 0;
  size_t maxQueued_ = 0;
  size_t depthQueued_ = 0;  // market data in the queue: bounded by capacity_ (control events are few and never dropped)
  size_t maxDepthQueued_ = 0;
  uint64_t dropped_ = 0;
  uint64_t conflated_ = 0;
  uint64_t jsErrors_ = 0;
  std::atomic<bool> signalled_{false};
};

Napi::Value MonoNow(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(MonoNs())); }

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  // In a gateway child (the supervisor sets MDHUB_GATEWAY), die with the hub even when the vendor library
  // hangs the process: PR_SET_PDEATHSIG again here, besides setpriv at spawn (Decisions: "in the addon").
  // A hub that died between the two getppid() calls is caught by the comparison (the host's own
  // parent-pid watch covers an earlier death; the hub may be PID 1 in a container, so 1 is no sign).
  if (getenv("MDHUB_GATEWAY") != nullptr) {
    const pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
  }
  exports.Set("Session", Session::Define(env));
  exports.Set("version", Napi::Function::New(env, Session::Version));
  exports.Set("monoNs", Napi::Function::New(env, MonoNow));
  exports.Set("queueCapacity", Napi::Number::New(env, static_cast<double>(kMaxQueue)));
  return exports;
}

}  // namespace

NODE_API_MODULE(mdhub_ctp, InitModule)
