#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace Switchboard::Server {

// The one part of a multipart/form-data body that carries a file upload (RFC 7578).
struct MultipartFile
{
    QString fileName;
    QByteArray contentType;
    QByteArray data;
};

namespace MultipartForm {

// The boundary parameter of a multipart/form-data Content-Type, or empty.
QByteArray boundary(const QByteArray &contentType);
// Finds the part named `field`; nullopt when the body is malformed or has no such part.
std::optional<MultipartFile> extract(const QByteArray &body, const QByteArray &boundary, const QByteArray &field);

} // namespace MultipartForm
} // namespace Switchboard::Server
