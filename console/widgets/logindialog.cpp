#include "console/widgets/logindialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include "console/widgets/notifier.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

LoginDialog::LoginDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(u"loginDialog"_s);
    setWindowTitle(tr("Sign in — Switchboard Console"));
    setWindowIcon(Notifier::applicationIcon());
    auto *layout = new QVBoxLayout(this);

    auto *heading = new QLabel(tr("Sign in to Switchboard"), this);
    QFont big = heading->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    big.setBold(true);
    heading->setFont(big);
    layout->addWidget(heading);
    auto *intro = new QLabel(tr("Use your agent or administrator account."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    m_server = new QLineEdit(this);
    m_server->setObjectName(u"serverEdit"_s);
    m_server->setPlaceholderText(tr("http://host:port"));
    m_username = new QLineEdit(this);
    m_username->setObjectName(u"usernameEdit"_s);
    m_password = new QLineEdit(this);
    m_password->setObjectName(u"passwordEdit"_s);
    m_password->setEchoMode(QLineEdit::Password);
    m_remember = new QCheckBox(tr("Remember me on this computer"), this);
    m_remember->setObjectName(u"rememberCheck"_s);
    m_remember->setToolTip(tr("The password is kept in the system keychain, never in a file."));
    form->addRow(tr("&Server:"), m_server);
    form->addRow(tr("&Username:"), m_username);
    form->addRow(tr("&Password:"), m_password);
    form->addRow(QString(), m_remember);
    layout->addLayout(form);

    m_notice = new QLabel(this);
    m_notice->setObjectName(u"noticeLabel"_s);
    m_notice->setWordWrap(true);
    m_notice->hide();
    layout->addWidget(m_notice);
    m_error = new QLabel(this);
    m_error->setObjectName(u"errorLabel"_s);
    m_error->setWordWrap(true);
    QPalette red = m_error->palette();
    red.setColor(QPalette::WindowText, QColor(0xd9, 0x30, 0x25));
    m_error->setPalette(red);
    m_error->hide();
    layout->addWidget(m_error);

    auto *buttons = new QDialogButtonBox(this);
    m_login = buttons->addButton(tr("Sign in"), QDialogButtonBox::AcceptRole);
    m_login->setObjectName(u"loginButton"_s);
    m_login->setDefault(true);
    QPushButton *quit = buttons->addButton(tr("Quit"), QDialogButtonBox::RejectRole);
    layout->addWidget(buttons);
    connect(m_login, &QPushButton::clicked, this, &LoginDialog::submit);
    connect(quit, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_password, &QLineEdit::returnPressed, this, &LoginDialog::submit);
    setMinimumWidth(420);
}

QString LoginDialog::serverText() const
{
    return m_server->text().trimmed();
}

QString LoginDialog::username() const
{
    return m_username->text().trimmed();
}

QString LoginDialog::password() const
{
    return m_password->text();
}

bool LoginDialog::rememberMe() const
{
    return m_remember->isChecked();
}

void LoginDialog::setServerText(const QString &server)
{
    m_server->setText(server);
}

void LoginDialog::setUsername(const QString &username)
{
    m_username->setText(username);
}

void LoginDialog::setPassword(const QString &password)
{
    m_password->setText(password);
}

void LoginDialog::setRememberMe(bool remember)
{
    m_remember->setChecked(remember);
}

void LoginDialog::setBusy(bool busy)
{
    m_busy = busy;
    for (QWidget *w : {static_cast<QWidget *>(m_server), static_cast<QWidget *>(m_username),
             static_cast<QWidget *>(m_password), static_cast<QWidget *>(m_remember), static_cast<QWidget *>(m_login)})
        w->setEnabled(!busy);
    m_login->setText(busy ? tr("Signing in…") : tr("Sign in"));
}

void LoginDialog::showError(const QString &text)
{
    m_error->setText(text);
    m_error->setVisible(!text.isEmpty());
}

QString LoginDialog::errorText() const
{
    return m_error->isVisible() ? m_error->text() : QString();
}

void LoginDialog::showNotice(const QString &text)
{
    m_notice->setText(text);
    m_notice->setVisible(!text.isEmpty());
}

QString LoginDialog::noticeText() const
{
    return m_notice->isVisible() ? m_notice->text() : QString();
}

QUrl LoginDialog::normalizedServerUrl(const QString &text)
{
    QString t = text.trimmed();
    if (t.isEmpty())
        return {};
    if (!t.contains(u"://"_s))
        t.prepend(u"http://"_s);
    QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return {};
    if (url.scheme() == u"ws"_s)
        url.setScheme(u"http"_s);
    else if (url.scheme() == u"wss"_s)
        url.setScheme(u"https"_s);
    if (url.scheme() != u"http"_s && url.scheme() != u"https"_s)
        return {};
    url.setPath(QString());
    url.setQuery(QString());
    url.setFragment(QString());
    return url;
}

void LoginDialog::submit()
{
    if (m_busy)
        return;
    const QUrl url = normalizedServerUrl(serverText());
    if (!url.isValid()) {
        showError(tr("Enter the server address, for example http://127.0.0.1:8080."));
        m_server->setFocus();
        return;
    }
    if (username().isEmpty() || password().isEmpty()) {
        showError(tr("Enter your username and password."));
        (username().isEmpty() ? m_username : m_password)->setFocus();
        return;
    }
    showError(QString());
    Q_EMIT loginRequested(url, username(), password(), rememberMe());
}

} // namespace Switchboard::Console
