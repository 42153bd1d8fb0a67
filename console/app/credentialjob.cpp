#include "console/app/credentialjob.h"

#include <QMetaObject>

namespace Switchboard::Console {

CredentialJob::CredentialJob(QObject *parent) : QObject(parent)
{ }

void CredentialJob::finish(Status status, const QString &secret, const QString &errorString)
{
    if (isFinished())
        return;
    m_status = status;
    m_secret = secret;
    m_errorString = errorString;
    // Queued, so that a caller connecting right after the call still sees it.
    QMetaObject::invokeMethod(
        this,
        [this] {
            Q_EMIT finished(this);
            deleteLater();
        },
        Qt::QueuedConnection);
}

} // namespace Switchboard::Console
