#pragma once

#include <QByteArray>

namespace Switchboard::Server::HmacSha256 {

// HMAC-SHA-256 (RFC 2104, libsodium) with a key of any length: JWT HS256, file URLs, webhooks.
QByteArray mac(const QByteArray &key, const QByteArray &data);
// Constant-time comparison of two MACs (or any secrets of equal length).
bool equal(const QByteArray &a, const QByteArray &b);

} // namespace Switchboard::Server::HmacSha256
