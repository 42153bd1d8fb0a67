#include "server/services/filepolicy.h"

#include <QMimeDatabase>

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

QString FilePolicy::sanitizedFileName(const QString &raw)
{
    QString name = raw;
    const qsizetype cut = std::max(name.lastIndexOf(u'/'), name.lastIndexOf(u'\\'));
    if (cut >= 0)
        name = name.mid(cut + 1);
    QString clean;
    for (QChar c : std::as_const(name)) {
        if (c.unicode() >= 0x20 && c.unicode() != 0x7f)
            clean.append(c);
    }
    clean = clean.trimmed();
    while (clean.startsWith(u'.'))
        clean.remove(0, 1);
    if (clean.size() > 200)
        clean = clean.right(200);
    return clean.isEmpty() ? u"file"_s : clean;
}

QString FilePolicy::detectMime(const QString &name, const QByteArray &data)
{
    const QMimeDatabase db;
    const QMimeType byContent = db.mimeTypeForData(data);
    const bool text = byContent.name() == u"text/plain"_s || byContent.inherits(u"text/plain"_s);
    if (!text)
        return byContent.isDefault() ? u"application/octet-stream"_s : byContent.name();
    const QMimeType byName = db.mimeTypeForFile(name, QMimeDatabase::MatchExtension);
    if (byContent.name() == u"text/plain"_s && byName.inherits(u"text/plain"_s))
        return byName.name();
    return byContent.name();
}

} // namespace Switchboard::Server
