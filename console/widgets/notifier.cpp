#include "console/widgets/notifier.h"

#include <QApplication>
#include <QPainter>
#include <QPixmap>
#include <QSystemTrayIcon>
#include <QWidget>

#include "console/app/consolesettings.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

Notifier::Notifier(ConsoleSettings &settings, QObject *parent) : QObject(parent), m_settings(settings)
{
    m_reminder.setInterval(DefaultReminderIntervalMs);
    connect(&m_reminder, &QTimer::timeout, this, &Notifier::remind);
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray = new QSystemTrayIcon(applicationIcon(), this);
        m_tray->setToolTip(tr("Switchboard Console"));
        connect(m_tray, &QSystemTrayIcon::activated, this, &Notifier::activationRequested);
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, &Notifier::activationRequested);
        m_tray->show();
    }
}

Notifier::~Notifier() = default;

void Notifier::setWindow(QWidget *window)
{
    m_window = window;
}

bool Notifier::isWindowActive() const
{
    return m_window && m_window->isActiveWindow();
}

void Notifier::notify(const QString &title, const QString &text, bool force)
{
    if (!force && isWindowActive())
        return;
    ++m_count;
    if (m_tray && m_settings.notificationsEnabled())
        m_tray->showMessage(title, text, QSystemTrayIcon::Information, 10000);
    if (m_settings.soundEnabled())
        QApplication::beep();
    if (m_window)
        QApplication::alert(m_window, 0); // until the window is activated
    Q_EMIT notified(title, text);
}

void Notifier::setWaitingCount(int count)
{
    if (m_waiting == count)
        return;
    m_waiting = count;
    if (count > 0 && !m_reminder.isActive())
        m_reminder.start();
    else if (count == 0)
        m_reminder.stop();
    updateTray();
}

void Notifier::remind()
{
    if (m_waiting <= 0 || isWindowActive())
        return;
    notify(tr("Customers are waiting"), tr("%n support chat(s) waiting for an agent.", nullptr, m_waiting));
}

void Notifier::updateTray()
{
    if (!m_tray)
        return;
    m_tray->setIcon(applicationIcon(m_waiting));
    m_tray->setToolTip(
        m_waiting > 0 ? tr("Switchboard Console — %n waiting", nullptr, m_waiting) : tr("Switchboard Console"));
}

QIcon Notifier::applicationIcon(int count)
{
    QIcon icon;
    for (int size : {16, 32, 64}) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x1f, 0x6f, 0xeb));
        p.drawRoundedRect(QRectF(0, size * 0.08, size, size * 0.78), size * 0.2, size * 0.2);
        QPolygonF tail;
        tail << QPointF(size * 0.25, size * 0.8) << QPointF(size * 0.25, size) << QPointF(size * 0.5, size * 0.8);
        p.drawPolygon(tail);
        p.setPen(Qt::white);
        QFont font = p.font();
        font.setBold(true);
        font.setPixelSize(int(size * 0.5));
        p.setFont(font);
        p.drawText(QRectF(0, size * 0.08, size, size * 0.78), Qt::AlignCenter, u"S"_s);
        if (count > 0) {
            const qreal r = size * 0.24;
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(0xd9, 0x30, 0x25));
            p.drawEllipse(QPointF(size - r, r), r, r);
            p.setPen(Qt::white);
            font.setPixelSize(int(r * 1.4));
            p.setFont(font);
            p.drawText(
                QRectF(size - 2 * r, 0, 2 * r, 2 * r), Qt::AlignCenter, count > 9 ? u"9+"_s : QString::number(count));
        }
        p.end();
        icon.addPixmap(pixmap);
    }
    return icon;
}

} // namespace Switchboard::Console
