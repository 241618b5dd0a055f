#include "apps/dijk-check/icap/icap_server.h"

#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <stdexcept>

namespace dijk::icap {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

tcp::endpoint parse_endpoint(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("icap.listen '" + listen + "' is not HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) throw std::runtime_error("icap.listen '" + listen + "': not an IP address");
  return {address, static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)))};
}

// One proxy connection: read, feed the session, write its answers, read on; closed on a timeout, on
// malformed framing or when the proxy closes.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::unique_ptr<IcapSession> session, const IcapServerOptions& options,
             std::atomic<std::uint32_t>& open, check::ApiMetrics& metrics)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        session_(std::move(session)),
        options_(options),
        open_(open),
        metrics_(metrics) {}
  ~Connection() { open_.fetch_sub(1); }

  void start() {
    arm_timer();
    read();
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              const bool was_idle = self->session_->idle();
                              self->last_activity_ = Clock::now();
                              if (was_idle) self->request_started_ = self->last_activity_;
                              self->session_->feed({self->buffer_.data(), n});
                              self->write_or_read();
                            });
  }

  void write_or_read() {
    pending_ = session_->take_output();
    if (pending_.empty()) {
      if (session_->should_close()) return close();
      return read();
    }
    asio::async_write(socket_, asio::buffer(pending_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        if (ec || self->session_->should_close()) return self->close();
                        self->read();
                      });
  }

  // One timer checks both deadlines every second: idle between requests, and a request's whole time.
  void arm_timer() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      const auto now = Clock::now();
      const bool idle = self->session_->idle();
      if (idle && now - self->last_activity_ > std::chrono::seconds(self->options_.idle_timeout_s)) {
        return self->close();
      }
      if (!idle && now - self->request_started_ > std::chrono::seconds(self->options_.request_timeout_s)) {
        self->metrics_.reject("icap_request_timeout");
        return self->close();
      }
      self->arm_timer();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  std::unique_ptr<IcapSession> session_;
  const IcapServerOptions& options_;
  std::atomic<std::uint32_t>& open_;
  check::ApiMetrics& metrics_;
  std::array<std::uint8_t, 64 * 1024> buffer_{};
  std::string pending_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::time_point request_started_ = Clock::now();
  bool closed_ = false;
};

}  // namespace

struct IcapServer::Impl {
  Impl(IcapServerOptions o, SessionFactory f, check::ApiMetrics& m)
      : options(std::move(o)), make_session(std::move(f)), metrics(m), acceptor(io) {}

  void accept() {
    // Each connection gets a strand: its read, write and timer handlers never run at once.
    acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (open.load() >= options.max_connections) {
          metrics.reject("icap_max_connections");
          boost::system::error_code ignored;
          socket.close(ignored);
        } else {
          open.fetch_add(1);
          std::make_shared<Connection>(std::move(socket), make_session(), options, open, metrics)->start();
        }
      }
      accept();
    });
  }

  // Declared before io: connections still queued in io when it is destroyed count themselves out here.
  IcapServerOptions options;
  SessionFactory make_session;
  check::ApiMetrics& metrics;
  std::atomic<std::uint32_t> open{0};
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

IcapServer::IcapServer(IcapServerOptions options, SessionFactory make_session, check::ApiMetrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(make_session), metrics)) {}

IcapServer::~IcapServer() {
  stop();
}

void IcapServer::start() {
  const tcp::endpoint endpoint = parse_endpoint(impl_->options.listen);
  boost::system::error_code ec;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("icap: cannot listen on " + impl_->options.listen + ": " + ec.message());
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(1, impl_->options.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
}

void IcapServer::stop() {
  if (impl_->threads.empty()) return;
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

std::uint32_t IcapServer::open_connections() const {
  return impl_->open.load();
}

}  // namespace dijk::icap
