#include "server/http/multipartform.h"

#include <QList>

namespace Switchboard::Server::MultipartForm {

namespace {
// Value of `name="..."` (or name=token) inside a header line.
QByteArray parameter(const QByteArray &header, const QByteArray &name)
{
    const QList<QByteArray> parts = header.split(';');
    for (QByteArray p : parts) {
        p = p.trimmed();
        const qsizetype eq = p.indexOf('=');
        if (eq <= 0 || p.left(eq).trimmed().toLower() != name)
            continue;
        QByteArray v = p.mid(eq + 1).trimmed();
        if (v.size() >= 2 && v.startsWith('"') && v.endsWith('"'))
            v = v.mid(1, v.size() - 2);
        return v;
    }
    return {};
}
} // namespace

QByteArray boundary(const QByteArray &contentType)
{
    if (!contentType.trimmed().toLower().startsWith("multipart/form-data"))
        return {};
    const QByteArray b = parameter(contentType, "boundary");
    return b.size() > 0 && b.size() <= 200 ? b : QByteArray();
}

std::optional<MultipartFile> extract(const QByteArray &body, const QByteArray &boundary, const QByteArray &field)
{
    const QByteArray delimiter = "--" + boundary;
    qsizetype pos = body.indexOf(delimiter);
    while (pos >= 0) {
        qsizetype start = pos + delimiter.size();
        if (body.mid(start, 2) == "--")
            return std::nullopt; // closing delimiter
        if (body.mid(start, 2) != "\r\n")
            return std::nullopt;
        start += 2;
        const qsizetype headersEnd = body.indexOf("\r\n\r\n", start);
        if (headersEnd < 0)
            return std::nullopt;
        const QByteArray headers = body.mid(start, headersEnd - start);
        const qsizetype dataStart = headersEnd + 4;
        const qsizetype next = body.indexOf("\r\n" + delimiter, dataStart);
        if (next < 0)
            return std::nullopt;
        QByteArray disposition, type;
        for (const QByteArray &line : headers.split('\n')) {
            const QByteArray l = line.trimmed();
            const qsizetype colon = l.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = l.left(colon).trimmed().toLower();
            if (name == "content-disposition")
                disposition = l.mid(colon + 1).trimmed();
            else if (name == "content-type")
                type = l.mid(colon + 1).trimmed();
        }
        if (parameter(disposition, "name") == field) {
            MultipartFile file;
            file.fileName = QString::fromUtf8(parameter(disposition, "filename"));
            file.contentType = type;
            file.data = body.mid(dataStart, next - dataStart);
            return file;
        }
        pos = next + 2;
    }
    return std::nullopt;
}

} // namespace Switchboard::Server::MultipartForm
