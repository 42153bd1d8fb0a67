#include "console/app/credentialstore.h"

#include <QUrl>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

QString CredentialStore::keyFor(const QString &serverUrl, const QString &username)
{
    const QUrl url = QUrl::fromUserInput(serverUrl);
    QString server = url.host();
    if (url.port() > 0)
        server += u':' + QString::number(url.port());
    return username + u'@' + server;
}

} // namespace Switchboard::Console
