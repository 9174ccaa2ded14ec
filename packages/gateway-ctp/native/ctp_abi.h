// The vendor market-data ABI (SFIT CTP 6.7.7 / 6.7.11, SOPT 3.7; Linux x86-64), written from the facts in
// the project's vendor ABI spec (shared/specs/vendor-md-abi.md §4 to §6) in mdhub's own names: struct
// layouts with a static_assert on every size and offset, and the two abstract classes with their virtual
// slots in vtable order. One header, shared by the N-API binding and the ABI simulator library, so the
// two can never disagree with the spec without failing to compile. No vendor header is reproduced.
//
// Rules the spec states and this header keeps: natural alignment, no packing; fixed char arrays whose
// size includes the NUL (text is GBK); no destructor in either vtable (the md API class has a protected
// non-virtual destructor; the Spi class declares none), so slot 0 is the first declared method.
#ifndef MDHUB_CTP_ABI_H
#define MDHUB_CTP_ABI_H

#include <cstddef>

namespace mdhub_abi {

// CTP 6.7.7 and 6.7.11: identical for every md struct but the login response (6.7.11 appends fields).
namespace ctp {

struct DepthMarketData {
  char TradingDay[9];
  char reserve1[31];
  char ExchangeID[9];
  char reserve2[31];
  double LastPrice;
  double PreSettlementPrice;
  double PreClosePrice;
  double PreOpenInterest;
  double OpenPrice;
  double HighestPrice;
  double LowestPrice;
  int Volume;
  double Turnover;
  double OpenInterest;
  double ClosePrice;
  double SettlementPrice;
  double UpperLimitPrice;
  double LowerLimitPrice;
  double PreDelta;
  double CurrDelta;
  char UpdateTime[9];
  int UpdateMillisec;
  double BidPrice1;
  int BidVolume1;
  double AskPrice1;
  int AskVolume1;
  double BidPrice2;
  int BidVolume2;
  double AskPrice2;
  int AskVolume2;
  double BidPrice3;
  int BidVolume3;
  double AskPrice3;
  int AskVolume3;
  double BidPrice4;
  int BidVolume4;
  double AskPrice4;
  int AskVolume4;
  double BidPrice5;
  int BidVolume5;
  double AskPrice5;
  int AskVolume5;
  double AveragePrice;
  char ActionDay[9];
  char InstrumentID[81];
  char ExchangeInstID[81];
  double BandingUpperPrice;
  double BandingLowerPrice;
};
static_assert(sizeof(DepthMarketData) == 584, "DepthMarketData: size");
static_assert(offsetof(DepthMarketData, TradingDay) == 0, "DepthMarketData::TradingDay");
static_assert(offsetof(DepthMarketData, reserve1) == 9, "DepthMarketData::reserve1");
static_assert(offsetof(DepthMarketData, ExchangeID) == 40, "DepthMarketData::ExchangeID");
static_assert(offsetof(DepthMarketData, reserve2) == 49, "DepthMarketData::reserve2");
static_assert(offsetof(DepthMarketData, LastPrice) == 80, "DepthMarketData::LastPrice");
static_assert(offsetof(DepthMarketData, PreSettlementPrice) == 88, "DepthMarketData::PreSettlementPrice");
static_assert(offsetof(DepthMarketData, PreClosePrice) == 96, "DepthMarketData::PreClosePrice");
static_assert(offsetof(DepthMarketData, PreOpenInterest) == 104, "DepthMarketData::PreOpenInterest");
static_assert(offsetof(DepthMarketData, OpenPrice) == 112, "DepthMarketData::OpenPrice");
static_assert(offsetof(DepthMarketData, HighestPrice) == 120, "DepthMarketData::HighestPrice");
static_assert(offsetof(DepthMarketData, LowestPrice) == 128, "DepthMarketData::LowestPrice");
static_assert(offsetof(DepthMarketData, Volume) == 136, "DepthMarketData::Volume");
static_assert(offsetof(DepthMarketData, Turnover) == 144, "DepthMarketData::Turnover");
static_assert(offsetof(DepthMarketData, OpenInterest) == 152, "DepthMarketData::OpenInterest");
static_assert(offsetof(DepthMarketData, ClosePrice) == 160, "DepthMarketData::ClosePrice");
static_assert(offsetof(DepthMarketData, SettlementPrice) == 168, "DepthMarketData::SettlementPrice");
static_assert(offsetof(DepthMarketData, UpperLimitPrice) == 176, "DepthMarketData::UpperLimitPrice");
static_assert(offsetof(DepthMarketData, LowerLimitPrice) == 184, "DepthMarketData::LowerLimitPrice");
static_assert(offsetof(DepthMarketData, PreDelta) == 192, "DepthMarketData::PreDelta");
static_assert(offsetof(DepthMarketData, CurrDelta) == 200, "DepthMarketData::CurrDelta");
static_assert(offsetof(DepthMarketData, UpdateTime) == 208, "DepthMarketData::UpdateTime");
static_assert(offsetof(DepthMarketData, UpdateMillisec) == 220, "DepthMarketData::UpdateMillisec");
static_assert(offsetof(DepthMarketData, BidPrice1) == 224, "DepthMarketData::BidPrice1");
static_assert(offsetof(DepthMarketData, BidVolume1) == 232, "DepthMarketData::BidVolume1");
static_assert(offsetof(DepthMarketData, AskPrice1) == 240, "DepthMarketData::AskPrice1");
static_assert(offsetof(DepthMarketData, AskVolume1) == 248, "DepthMarketData::AskVolume1");
static_assert(offsetof(DepthMarketData, BidPrice2) == 256, "DepthMarketData::BidPrice2");
static_assert(offsetof(DepthMarketData, BidVolume2) == 264, "DepthMarketData::BidVolume2");
static_assert(offsetof(DepthMarketData, AskPrice2) == 272, "DepthMarketData::AskPrice2");
static_assert(offsetof(DepthMarketData, AskVolume2) == 280, "DepthMarketData::AskVolume2");
static_assert(offsetof(DepthMarketData, BidPrice3) == 288, "DepthMarketData::BidPrice3");
static_assert(offsetof(DepthMarketData, BidVolume3) == 296, "DepthMarketData::BidVolume3");
static_assert(offsetof(DepthMarketData, AskPrice3) == 304, "DepthMarketData::AskPrice3");
static_assert(offsetof(DepthMarketData, AskVolume3) == 312, "DepthMarketData::AskVolume3");
static_assert(offsetof(DepthMarketData, BidPrice4) == 320, "DepthMarketData::BidPrice4");
static_assert(offsetof(DepthMarketData, BidVolume4) == 328, "DepthMarketData::BidVolume4");
static_assert(offsetof(DepthMarketData, AskPrice4) == 336, "DepthMarketData::AskPrice4");
static_assert(offsetof(DepthMarketData, AskVolume4) == 344, "DepthMarketData::AskVolume4");
static_assert(offsetof(DepthMarketData, BidPrice5) == 352, "DepthMarketData::BidPrice5");
static_assert(offsetof(DepthMarketData, BidVolume5) == 360, "DepthMarketData::BidVolume5");
static_assert(offsetof(DepthMarketData, AskPrice5) == 368, "DepthMarketData::AskPrice5");
static_assert(offsetof(DepthMarketData, AskVolume5) == 376, "DepthMarketData::AskVolume5");
static_assert(offsetof(DepthMarketData, AveragePrice) == 384, "DepthMarketData::AveragePrice");
static_assert(offsetof(DepthMarketData, ActionDay) == 392, "DepthMarketData::ActionDay");
static_assert(offsetof(DepthMarketData, InstrumentID) == 401, "DepthMarketData::InstrumentID");
static_assert(offsetof(DepthMarketData, ExchangeInstID) == 482, "DepthMarketData::ExchangeInstID");
static_assert(offsetof(DepthMarketData, BandingUpperPrice) == 568, "DepthMarketData::BandingUpperPrice");
static_assert(offsetof(DepthMarketData, BandingLowerPrice) == 576, "DepthMarketData::BandingLowerPrice");

struct ReqUserLogin {
  char TradingDay[9];
  char BrokerID[11];
  char UserID[16];
  char Password[41];
  char UserProductInfo[11];
  char InterfaceProductInfo[11];
  char ProtocolInfo[11];
  char MacAddress[21];
  char OneTimePassword[41];
  char reserve1[16];
  char LoginRemark[36];
  int ClientIPPort;
  char ClientIPAddress[33];
};
static_assert(sizeof(ReqUserLogin) == 264, "ReqUserLogin: size");
static_assert(offsetof(ReqUserLogin, TradingDay) == 0, "ReqUserLogin::TradingDay");
static_assert(offsetof(ReqUserLogin, BrokerID) == 9, "ReqUserLogin::BrokerID");
static_assert(offsetof(ReqUserLogin, UserID) == 20, "ReqUserLogin::UserID");
static_assert(offsetof(ReqUserLogin, Password) == 36, "ReqUserLogin::Password");
static_assert(offsetof(ReqUserLogin, UserProductInfo) == 77, "ReqUserLogin::UserProductInfo");
static_assert(offsetof(ReqUserLogin, InterfaceProductInfo) == 88, "ReqUserLogin::InterfaceProductInfo");
static_assert(offsetof(ReqUserLogin, ProtocolInfo) == 99, "ReqUserLogin::ProtocolInfo");
static_assert(offsetof(ReqUserLogin, MacAddress) == 110, "ReqUserLogin::MacAddress");
static_assert(offsetof(ReqUserLogin, OneTimePassword) == 131, "ReqUserLogin::OneTimePassword");
static_assert(offsetof(ReqUserLogin, reserve1) == 172, "ReqUserLogin::reserve1");
static_assert(offsetof(ReqUserLogin, LoginRemark) == 188, "ReqUserLogin::LoginRemark");
static_assert(offsetof(ReqUserLogin, ClientIPPort) == 224, "ReqUserLogin::ClientIPPort");
static_assert(offsetof(ReqUserLogin, ClientIPAddress) == 228, "ReqUserLogin::ClientIPAddress");

struct RspUserLogin677 {
  char TradingDay[9];
  char LoginTime[9];
  char BrokerID[11];
  char UserID[16];
  char SystemName[41];
  int FrontID;
  int SessionID;
  char MaxOrderRef[13];
  char SHFETime[9];
  char DCETime[9];
  char CZCETime[9];
  char FFEXTime[9];
  char INETime[9];
  char SysVersion[41];
  char GFEXTime[9];
};
static_assert(sizeof(RspUserLogin677) == 204, "RspUserLogin677: size");
static_assert(offsetof(RspUserLogin677, TradingDay) == 0, "RspUserLogin677::TradingDay");
static_assert(offsetof(RspUserLogin677, LoginTime) == 9, "RspUserLogin677::LoginTime");
static_assert(offsetof(RspUserLogin677, BrokerID) == 18, "RspUserLogin677::BrokerID");
static_assert(offsetof(RspUserLogin677, UserID) == 29, "RspUserLogin677::UserID");
static_assert(offsetof(RspUserLogin677, SystemName) == 45, "RspUserLogin677::SystemName");
static_assert(offsetof(RspUserLogin677, FrontID) == 88, "RspUserLogin677::FrontID");
static_assert(offsetof(RspUserLogin677, SessionID) == 92, "RspUserLogin677::SessionID");
static_assert(offsetof(RspUserLogin677, MaxOrderRef) == 96, "RspUserLogin677::MaxOrderRef");
static_assert(offsetof(RspUserLogin677, SHFETime) == 109, "RspUserLogin677::SHFETime");
static_assert(offsetof(RspUserLogin677, DCETime) == 118, "RspUserLogin677::DCETime");
static_assert(offsetof(RspUserLogin677, CZCETime) == 127, "RspUserLogin677::CZCETime");
static_assert(offsetof(RspUserLogin677, FFEXTime) == 136, "RspUserLogin677::FFEXTime");
static_assert(offsetof(RspUserLogin677, INETime) == 145, "RspUserLogin677::INETime");
static_assert(offsetof(RspUserLogin677, SysVersion) == 154, "RspUserLogin677::SysVersion");
static_assert(offsetof(RspUserLogin677, GFEXTime) == 195, "RspUserLogin677::GFEXTime");

struct RspUserLogin6711 {
  char TradingDay[9];
  char LoginTime[9];
  char BrokerID[11];
  char UserID[16];
  char SystemName[41];
  int FrontID;
  int SessionID;
  char MaxOrderRef[13];
  char SHFETime[9];
  char DCETime[9];
  char CZCETime[9];
  char FFEXTime[9];
  char INETime[9];
  char SysVersion[41];
  char GFEXTime[9];
  int LoginDRIdentityID;
  int UserDRIdentityID;
  char LastLoginTime[17];
  char ReserveInfo[65];
};
static_assert(sizeof(RspUserLogin6711) == 296, "RspUserLogin6711: size");
static_assert(offsetof(RspUserLogin6711, TradingDay) == 0, "RspUserLogin6711::TradingDay");
static_assert(offsetof(RspUserLogin6711, LoginTime) == 9, "RspUserLogin6711::LoginTime");
static_assert(offsetof(RspUserLogin6711, BrokerID) == 18, "RspUserLogin6711::BrokerID");
static_assert(offsetof(RspUserLogin6711, UserID) == 29, "RspUserLogin6711::UserID");
static_assert(offsetof(RspUserLogin6711, SystemName) == 45, "RspUserLogin6711::SystemName");
static_assert(offsetof(RspUserLogin6711, FrontID) == 88, "RspUserLogin6711::FrontID");
static_assert(offsetof(RspUserLogin6711, SessionID) == 92, "RspUserLogin6711::SessionID");
static_assert(offsetof(RspUserLogin6711, MaxOrderRef) == 96, "RspUserLogin6711::MaxOrderRef");
static_assert(offsetof(RspUserLogin6711, SHFETime) == 109, "RspUserLogin6711::SHFETime");
static_assert(offsetof(RspUserLogin6711, DCETime) == 118, "RspUserLogin6711::DCETime");
static_assert(offsetof(RspUserLogin6711, CZCETime) == 127, "RspUserLogin6711::CZCETime");
static_assert(offsetof(RspUserLogin6711, FFEXTime) == 136, "RspUserLogin6711::FFEXTime");
static_assert(offsetof(RspUserLogin6711, INETime) == 145, "RspUserLogin6711::INETime");
static_assert(offsetof(RspUserLogin6711, SysVersion) == 154, "RspUserLogin6711::SysVersion");
static_assert(offsetof(RspUserLogin6711, GFEXTime) == 195, "RspUserLogin6711::GFEXTime");
static_assert(offsetof(RspUserLogin6711, LoginDRIdentityID) == 204, "RspUserLogin6711::LoginDRIdentityID");
static_assert(offsetof(RspUserLogin6711, UserDRIdentityID) == 208, "RspUserLogin6711::UserDRIdentityID");
static_assert(offsetof(RspUserLogin6711, LastLoginTime) == 212, "RspUserLogin6711::LastLoginTime");
static_assert(offsetof(RspUserLogin6711, ReserveInfo) == 229, "RspUserLogin6711::ReserveInfo");

struct RspInfo {
  int ErrorID;
  char ErrorMsg[81];
};
static_assert(sizeof(RspInfo) == 88, "RspInfo: size");
static_assert(offsetof(RspInfo, ErrorID) == 0, "RspInfo::ErrorID");
static_assert(offsetof(RspInfo, ErrorMsg) == 4, "RspInfo::ErrorMsg");

struct SpecificInstrument {
  char reserve1[31];
  char InstrumentID[81];
};
static_assert(sizeof(SpecificInstrument) == 112, "SpecificInstrument: size");
static_assert(offsetof(SpecificInstrument, reserve1) == 0, "SpecificInstrument::reserve1");
static_assert(offsetof(SpecificInstrument, InstrumentID) == 31, "SpecificInstrument::InstrumentID");

struct UserLogout {
  char BrokerID[11];
  char UserID[16];
};
static_assert(sizeof(UserLogout) == 27, "UserLogout: size");
static_assert(offsetof(UserLogout, BrokerID) == 0, "UserLogout::BrokerID");
static_assert(offsetof(UserLogout, UserID) == 11, "UserLogout::UserID");

struct FensUserInfo {
  char BrokerID[11];
  char UserID[16];
  char LoginMode;
};
static_assert(sizeof(FensUserInfo) == 28, "FensUserInfo: size");
static_assert(offsetof(FensUserInfo, BrokerID) == 0, "FensUserInfo::BrokerID");
static_assert(offsetof(FensUserInfo, UserID) == 11, "FensUserInfo::UserID");
static_assert(offsetof(FensUserInfo, LoginMode) == 27, "FensUserInfo::LoginMode");

struct ForQuoteRsp {
  char TradingDay[9];
  char reserve1[31];
  char ForQuoteSysID[21];
  char ForQuoteTime[9];
  char ActionDay[9];
  char ExchangeID[9];
  char InstrumentID[81];
};
static_assert(sizeof(ForQuoteRsp) == 169, "ForQuoteRsp: size");
static_assert(offsetof(ForQuoteRsp, TradingDay) == 0, "ForQuoteRsp::TradingDay");
static_assert(offsetof(ForQuoteRsp, reserve1) == 9, "ForQuoteRsp::reserve1");
static_assert(offsetof(ForQuoteRsp, ForQuoteSysID) == 40, "ForQuoteRsp::ForQuoteSysID");
static_assert(offsetof(ForQuoteRsp, ForQuoteTime) == 61, "ForQuoteRsp::ForQuoteTime");
static_assert(offsetof(ForQuoteRsp, ActionDay) == 70, "ForQuoteRsp::ActionDay");
static_assert(offsetof(ForQuoteRsp, ExchangeID) == 79, "ForQuoteRsp::ExchangeID");
static_assert(offsetof(ForQuoteRsp, InstrumentID) == 88, "ForQuoteRsp::InstrumentID");

struct MulticastInstrument {
  int TopicID;
  char reserve1[31];
  int InstrumentNo;
  double CodePrice;
  int VolumeMultiple;
  double PriceTick;
  char InstrumentID[81];
};
static_assert(sizeof(MulticastInstrument) == 152, "MulticastInstrument: size");
static_assert(offsetof(MulticastInstrument, TopicID) == 0, "MulticastInstrument::TopicID");
static_assert(offsetof(MulticastInstrument, reserve1) == 4, "MulticastInstrument::reserve1");
static_assert(offsetof(MulticastInstrument, InstrumentNo) == 36, "MulticastInstrument::InstrumentNo");
static_assert(offsetof(MulticastInstrument, CodePrice) == 40, "MulticastInstrument::CodePrice");
static_assert(offsetof(MulticastInstrument, VolumeMultiple) == 48, "MulticastInstrument::VolumeMultiple");
static_assert(offsetof(MulticastInstrument, PriceTick) == 56, "MulticastInstrument::PriceTick");
static_assert(offsetof(MulticastInstrument, InstrumentID) == 64, "MulticastInstrument::InstrumentID");

struct QryMulticastInstrument {
  int TopicID;
  char reserve1[31];
  char InstrumentID[81];
};
static_assert(sizeof(QryMulticastInstrument) == 116, "QryMulticastInstrument: size");
static_assert(offsetof(QryMulticastInstrument, TopicID) == 0, "QryMulticastInstrument::TopicID");
static_assert(offsetof(QryMulticastInstrument, reserve1) == 4, "QryMulticastInstrument::reserve1");
static_assert(offsetof(QryMulticastInstrument, InstrumentID) == 35, "QryMulticastInstrument::InstrumentID");

// The md API, implemented by the library: 15 pure virtual slots (§4.1).
class MdApi {
 public:
  virtual void Release() = 0;                                                 // 0
  virtual void Init() = 0;                                                    // 1
  virtual int Join() = 0;                                                     // 2
  virtual const char* GetTradingDay() = 0;                                    // 3
  virtual void RegisterFront(char* frontAddress) = 0;                         // 4
  virtual void RegisterNameServer(char* nsAddress) = 0;                       // 5
  virtual void RegisterFensUserInfo(FensUserInfo* info) = 0;                  // 6
  virtual void RegisterSpi(void* spi) = 0;                                    // 7
  virtual int SubscribeMarketData(char* ids[], int count) = 0;                // 8
  virtual int UnSubscribeMarketData(char* ids[], int count) = 0;              // 9
  virtual int SubscribeForQuoteRsp(char* ids[], int count) = 0;               // 10
  virtual int UnSubscribeForQuoteRsp(char* ids[], int count) = 0;             // 11
  virtual int ReqUserLogin(ReqUserLogin* req, int requestId) = 0;             // 12
  virtual int ReqUserLogout(UserLogout* req, int requestId) = 0;              // 13
  virtual int ReqQryMulticastInstrument(QryMulticastInstrument* req, int requestId) = 0;  // 14
 protected:
  ~MdApi() {}
};

// The md Spi, implemented by the binding, called by the library: 13 slots (§4.2, CTP column).
// RspUserLogin is passed as its 6.7.7 layout, a prefix of the 6.7.11 one.
class MdSpi {
 public:
  virtual void OnFrontConnected() {}                                                                        // 0
  virtual void OnFrontDisconnected(int /*reason*/) {}                                                           // 1
  virtual void OnHeartBeatWarning(int /*timeLapseSeconds*/) {}                                                  // 2
  virtual void OnRspUserLogin(RspUserLogin677* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}           // 3
  virtual void OnRspUserLogout(UserLogout* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}               // 4
  virtual void OnRspQryMulticastInstrument(MulticastInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}  // 5
  virtual void OnRspError(RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}                                     // 6
  virtual void OnRspSubMarketData(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}    // 7
  virtual void OnRspUnSubMarketData(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}  // 8
  virtual void OnRspSubForQuoteRsp(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}   // 9
  virtual void OnRspUnSubForQuoteRsp(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {} // 10
  virtual void OnRtnDepthMarketData(DepthMarketData* /*depth*/) {}                                              // 11
  virtual void OnRtnForQuoteRsp(ForQuoteRsp* /*rsp*/) {}                                                        // 12
};

}  // namespace ctp

// SOPT 3.7 (the vendor's namespace ctp_sopt): 31-byte instrument ids, no multicast slot.
namespace sopt {

struct DepthMarketData {
  char TradingDay[9];
  char InstrumentID[31];
  char ExchangeID[9];
  char ExchangeInstID[31];
  double LastPrice;
  double PreSettlementPrice;
  double PreClosePrice;
  double PreOpenInterest;
  double OpenPrice;
  double HighestPrice;
  double LowestPrice;
  int Volume;
  double Turnover;
  double OpenInterest;
  double ClosePrice;
  double SettlementPrice;
  double UpperLimitPrice;
  double LowerLimitPrice;
  double PreDelta;
  double CurrDelta;
  char UpdateTime[9];
  int UpdateMillisec;
  double BidPrice1;
  int BidVolume1;
  double AskPrice1;
  int AskVolume1;
  double BidPrice2;
  int BidVolume2;
  double AskPrice2;
  int AskVolume2;
  double BidPrice3;
  int BidVolume3;
  double AskPrice3;
  int AskVolume3;
  double BidPrice4;
  int BidVolume4;
  double AskPrice4;
  int AskVolume4;
  double BidPrice5;
  int BidVolume5;
  double AskPrice5;
  int AskVolume5;
  double AveragePrice;
  char ActionDay[9];
  double CircuitRefPrice;
  char SendingTime[13];
  long long BigVolume;
};
static_assert(sizeof(DepthMarketData) == 440, "DepthMarketData: size");
static_assert(offsetof(DepthMarketData, TradingDay) == 0, "DepthMarketData::TradingDay");
static_assert(offsetof(DepthMarketData, InstrumentID) == 9, "DepthMarketData::InstrumentID");
static_assert(offsetof(DepthMarketData, ExchangeID) == 40, "DepthMarketData::ExchangeID");
static_assert(offsetof(DepthMarketData, ExchangeInstID) == 49, "DepthMarketData::ExchangeInstID");
static_assert(offsetof(DepthMarketData, LastPrice) == 80, "DepthMarketData::LastPrice");
static_assert(offsetof(DepthMarketData, PreSettlementPrice) == 88, "DepthMarketData::PreSettlementPrice");
static_assert(offsetof(DepthMarketData, PreClosePrice) == 96, "DepthMarketData::PreClosePrice");
static_assert(offsetof(DepthMarketData, PreOpenInterest) == 104, "DepthMarketData::PreOpenInterest");
static_assert(offsetof(DepthMarketData, OpenPrice) == 112, "DepthMarketData::OpenPrice");
static_assert(offsetof(DepthMarketData, HighestPrice) == 120, "DepthMarketData::HighestPrice");
static_assert(offsetof(DepthMarketData, LowestPrice) == 128, "DepthMarketData::LowestPrice");
static_assert(offsetof(DepthMarketData, Volume) == 136, "DepthMarketData::Volume");
static_assert(offsetof(DepthMarketData, Turnover) == 144, "DepthMarketData::Turnover");
static_assert(offsetof(DepthMarketData, OpenInterest) == 152, "DepthMarketData::OpenInterest");
static_assert(offsetof(DepthMarketData, ClosePrice) == 160, "DepthMarketData::ClosePrice");
static_assert(offsetof(DepthMarketData, SettlementPrice) == 168, "DepthMarketData::SettlementPrice");
static_assert(offsetof(DepthMarketData, UpperLimitPrice) == 176, "DepthMarketData::UpperLimitPrice");
static_assert(offsetof(DepthMarketData, LowerLimitPrice) == 184, "DepthMarketData::LowerLimitPrice");
static_assert(offsetof(DepthMarketData, PreDelta) == 192, "DepthMarketData::PreDelta");
static_assert(offsetof(DepthMarketData, CurrDelta) == 200, "DepthMarketData::CurrDelta");
static_assert(offsetof(DepthMarketData, UpdateTime) == 208, "DepthMarketData::UpdateTime");
static_assert(offsetof(DepthMarketData, UpdateMillisec) == 220, "DepthMarketData::UpdateMillisec");
static_assert(offsetof(DepthMarketData, BidPrice1) == 224, "DepthMarketData::BidPrice1");
static_assert(offsetof(DepthMarketData, BidVolume1) == 232, "DepthMarketData::BidVolume1");
static_assert(offsetof(DepthMarketData, AskPrice1) == 240, "DepthMarketData::AskPrice1");
static_assert(offsetof(DepthMarketData, AskVolume1) == 248, "DepthMarketData::AskVolume1");
static_assert(offsetof(DepthMarketData, BidPrice2) == 256, "DepthMarketData::BidPrice2");
static_assert(offsetof(DepthMarketData, BidVolume2) == 264, "DepthMarketData::BidVolume2");
static_assert(offsetof(DepthMarketData, AskPrice2) == 272, "DepthMarketData::AskPrice2");
static_assert(offsetof(DepthMarketData, AskVolume2) == 280, "DepthMarketData::AskVolume2");
static_assert(offsetof(DepthMarketData, BidPrice3) == 288, "DepthMarketData::BidPrice3");
static_assert(offsetof(DepthMarketData, BidVolume3) == 296, "DepthMarketData::BidVolume3");
static_assert(offsetof(DepthMarketData, AskPrice3) == 304, "DepthMarketData::AskPrice3");
static_assert(offsetof(DepthMarketData, AskVolume3) == 312, "DepthMarketData::AskVolume3");
static_assert(offsetof(DepthMarketData, BidPrice4) == 320, "DepthMarketData::BidPrice4");
static_assert(offsetof(DepthMarketData, BidVolume4) == 328, "DepthMarketData::BidVolume4");
static_assert(offsetof(DepthMarketData, AskPrice4) == 336, "DepthMarketData::AskPrice4");
static_assert(offsetof(DepthMarketData, AskVolume4) == 344, "DepthMarketData::AskVolume4");
static_assert(offsetof(DepthMarketData, BidPrice5) == 352, "DepthMarketData::BidPrice5");
static_assert(offsetof(DepthMarketData, BidVolume5) == 360, "DepthMarketData::BidVolume5");
static_assert(offsetof(DepthMarketData, AskPrice5) == 368, "DepthMarketData::AskPrice5");
static_assert(offsetof(DepthMarketData, AskVolume5) == 376, "DepthMarketData::AskVolume5");
static_assert(offsetof(DepthMarketData, AveragePrice) == 384, "DepthMarketData::AveragePrice");
static_assert(offsetof(DepthMarketData, ActionDay) == 392, "DepthMarketData::ActionDay");
static_assert(offsetof(DepthMarketData, CircuitRefPrice) == 408, "DepthMarketData::CircuitRefPrice");
static_assert(offsetof(DepthMarketData, SendingTime) == 416, "DepthMarketData::SendingTime");
static_assert(offsetof(DepthMarketData, BigVolume) == 432, "DepthMarketData::BigVolume");

struct ReqUserLogin {
  char TradingDay[9];
  char BrokerID[11];
  char UserID[16];
  char Password[41];
  char UserProductInfo[11];
  char InterfaceProductInfo[11];
  char ProtocolInfo[11];
  char MacAddress[21];
  char OneTimePassword[41];
  char reserve1[16];
  char LoginRemark[36];
  int ClientIPPort;
  char ClientIPAddress[33];
};
static_assert(sizeof(ReqUserLogin) == 264, "ReqUserLogin: size");
static_assert(offsetof(ReqUserLogin, TradingDay) == 0, "ReqUserLogin::TradingDay");
static_assert(offsetof(ReqUserLogin, BrokerID) == 9, "ReqUserLogin::BrokerID");
static_assert(offsetof(ReqUserLogin, UserID) == 20, "ReqUserLogin::UserID");
static_assert(offsetof(ReqUserLogin, Password) == 36, "ReqUserLogin::Password");
static_assert(offsetof(ReqUserLogin, UserProductInfo) == 77, "ReqUserLogin::UserProductInfo");
static_assert(offsetof(ReqUserLogin, InterfaceProductInfo) == 88, "ReqUserLogin::InterfaceProductInfo");
static_assert(offsetof(ReqUserLogin, ProtocolInfo) == 99, "ReqUserLogin::ProtocolInfo");
static_assert(offsetof(ReqUserLogin, MacAddress) == 110, "ReqUserLogin::MacAddress");
static_assert(offsetof(ReqUserLogin, OneTimePassword) == 131, "ReqUserLogin::OneTimePassword");
static_assert(offsetof(ReqUserLogin, reserve1) == 172, "ReqUserLogin::reserve1");
static_assert(offsetof(ReqUserLogin, LoginRemark) == 188, "ReqUserLogin::LoginRemark");
static_assert(offsetof(ReqUserLogin, ClientIPPort) == 224, "ReqUserLogin::ClientIPPort");
static_assert(offsetof(ReqUserLogin, ClientIPAddress) == 228, "ReqUserLogin::ClientIPAddress");

struct RspUserLogin {
  char TradingDay[9];
  char LoginTime[9];
  char BrokerID[11];
  char UserID[16];
  char SystemName[41];
  int FrontID;
  int SessionID;
  char MaxOrderRef[13];
  char SHFETime[9];
  char DCETime[9];
  char CZCETime[9];
  char FFEXTime[9];
  char INETime[9];
};
static_assert(sizeof(RspUserLogin) == 156, "RspUserLogin: size");
static_assert(offsetof(RspUserLogin, TradingDay) == 0, "RspUserLogin::TradingDay");
static_assert(offsetof(RspUserLogin, LoginTime) == 9, "RspUserLogin::LoginTime");
static_assert(offsetof(RspUserLogin, BrokerID) == 18, "RspUserLogin::BrokerID");
static_assert(offsetof(RspUserLogin, UserID) == 29, "RspUserLogin::UserID");
static_assert(offsetof(RspUserLogin, SystemName) == 45, "RspUserLogin::SystemName");
static_assert(offsetof(RspUserLogin, FrontID) == 88, "RspUserLogin::FrontID");
static_assert(offsetof(RspUserLogin, SessionID) == 92, "RspUserLogin::SessionID");
static_assert(offsetof(RspUserLogin, MaxOrderRef) == 96, "RspUserLogin::MaxOrderRef");
static_assert(offsetof(RspUserLogin, SHFETime) == 109, "RspUserLogin::SHFETime");
static_assert(offsetof(RspUserLogin, DCETime) == 118, "RspUserLogin::DCETime");
static_assert(offsetof(RspUserLogin, CZCETime) == 127, "RspUserLogin::CZCETime");
static_assert(offsetof(RspUserLogin, FFEXTime) == 136, "RspUserLogin::FFEXTime");
static_assert(offsetof(RspUserLogin, INETime) == 145, "RspUserLogin::INETime");

struct RspInfo {
  int ErrorID;
  char ErrorMsg[81];
};
static_assert(sizeof(RspInfo) == 88, "RspInfo: size");
static_assert(offsetof(RspInfo, ErrorID) == 0, "RspInfo::ErrorID");
static_assert(offsetof(RspInfo, ErrorMsg) == 4, "RspInfo::ErrorMsg");

struct SpecificInstrument {
  char InstrumentID[31];
};
static_assert(sizeof(SpecificInstrument) == 31, "SpecificInstrument: size");
static_assert(offsetof(SpecificInstrument, InstrumentID) == 0, "SpecificInstrument::InstrumentID");

struct UserLogout {
  char BrokerID[11];
  char UserID[16];
};
static_assert(sizeof(UserLogout) == 27, "UserLogout: size");
static_assert(offsetof(UserLogout, BrokerID) == 0, "UserLogout::BrokerID");
static_assert(offsetof(UserLogout, UserID) == 11, "UserLogout::UserID");

struct FensUserInfo {
  char BrokerID[11];
  char UserID[16];
  char LoginMode;
};
static_assert(sizeof(FensUserInfo) == 28, "FensUserInfo: size");
static_assert(offsetof(FensUserInfo, BrokerID) == 0, "FensUserInfo::BrokerID");
static_assert(offsetof(FensUserInfo, UserID) == 11, "FensUserInfo::UserID");
static_assert(offsetof(FensUserInfo, LoginMode) == 27, "FensUserInfo::LoginMode");

struct ForQuoteRsp {
  char TradingDay[9];
  char InstrumentID[31];
  char ForQuoteSysID[21];
  char ForQuoteTime[9];
  char ActionDay[9];
  char ExchangeID[9];
};
static_assert(sizeof(ForQuoteRsp) == 88, "ForQuoteRsp: size");
static_assert(offsetof(ForQuoteRsp, TradingDay) == 0, "ForQuoteRsp::TradingDay");
static_assert(offsetof(ForQuoteRsp, InstrumentID) == 9, "ForQuoteRsp::InstrumentID");
static_assert(offsetof(ForQuoteRsp, ForQuoteSysID) == 40, "ForQuoteRsp::ForQuoteSysID");
static_assert(offsetof(ForQuoteRsp, ForQuoteTime) == 61, "ForQuoteRsp::ForQuoteTime");
static_assert(offsetof(ForQuoteRsp, ActionDay) == 70, "ForQuoteRsp::ActionDay");
static_assert(offsetof(ForQuoteRsp, ExchangeID) == 79, "ForQuoteRsp::ExchangeID");

// The md API: 14 pure virtual slots (no ReqQryMulticastInstrument).
class MdApi {
 public:
  virtual void Release() = 0;                                                 // 0
  virtual void Init() = 0;                                                    // 1
  virtual int Join() = 0;                                                     // 2
  virtual const char* GetTradingDay() = 0;                                    // 3
  virtual void RegisterFront(char* frontAddress) = 0;                         // 4
  virtual void RegisterNameServer(char* nsAddress) = 0;                       // 5
  virtual void RegisterFensUserInfo(FensUserInfo* info) = 0;                  // 6
  virtual void RegisterSpi(void* spi) = 0;                                    // 7
  virtual int SubscribeMarketData(char* ids[], int count) = 0;                // 8
  virtual int UnSubscribeMarketData(char* ids[], int count) = 0;              // 9
  virtual int SubscribeForQuoteRsp(char* ids[], int count) = 0;               // 10
  virtual int UnSubscribeForQuoteRsp(char* ids[], int count) = 0;             // 11
  virtual int ReqUserLogin(ReqUserLogin* req, int requestId) = 0;             // 12
  virtual int ReqUserLogout(UserLogout* req, int requestId) = 0;              // 13
 protected:
  ~MdApi() {}
};

// The md Spi: 12 slots (§4.2, SOPT column): it diverges from CTP's after slot 4.
class MdSpi {
 public:
  virtual void OnFrontConnected() {}                                                                        // 0
  virtual void OnFrontDisconnected(int /*reason*/) {}                                                           // 1
  virtual void OnHeartBeatWarning(int /*timeLapseSeconds*/) {}                                                  // 2
  virtual void OnRspUserLogin(RspUserLogin* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}              // 3
  virtual void OnRspUserLogout(UserLogout* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}               // 4
  virtual void OnRspError(RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}                                     // 5
  virtual void OnRspSubMarketData(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}    // 6
  virtual void OnRspUnSubMarketData(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}  // 7
  virtual void OnRspSubForQuoteRsp(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {}   // 8
  virtual void OnRspUnSubForQuoteRsp(SpecificInstrument* /*rsp*/, RspInfo* /*info*/, int /*requestId*/, bool /*isLast*/) {} // 9
  virtual void OnRtnDepthMarketData(DepthMarketData* /*depth*/) {}                                              // 10
  virtual void OnRtnForQuoteRsp(ForQuoteRsp* /*rsp*/) {}                                                        // 11
};

}  // namespace sopt

// The exported symbols (§3): factory and version, Itanium-mangled, per flavour.
namespace symbols {
constexpr const char* kCtp677Factory = "_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbb";
constexpr const char* kCtp6711Factory = "_ZN15CThostFtdcMdApi15CreateFtdcMdApiEPKcbbb";
constexpr const char* kCtpVersion = "_ZN15CThostFtdcMdApi13GetApiVersionEv";
constexpr const char* kSoptFactory = "_ZN8ctp_sopt15CThostFtdcMdApi15CreateFtdcMdApiEPKcbb";
constexpr const char* kSoptVersion = "_ZN8ctp_sopt15CThostFtdcMdApi13GetApiVersionEv";
}  // namespace symbols

// OnFrontDisconnected reasons (§7.4).
enum DisconnectReason : int {
  kNetworkRead = 0x1001,
  kNetworkWrite = 0x1002,
  kHeartbeatTimeout = 0x2001,
  kHeartbeatSend = 0x2002,
  kBadMessage = 0x2003,
};

// GetTradingDay() before a login (§7.1).
constexpr const char* kNoTradingDay = "19800100";

}  // namespace mdhub_abi

#endif  // MDHUB_CTP_ABI_H
