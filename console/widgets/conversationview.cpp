#include "console/widgets/conversationview.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "console/app/userdirectory.h"
#include "console/app/workspacecontroller.h"
#include "console/models/conversationlistmodel.h"
#include "console/models/messagelistmodel.h"
#include "console/widgets/composerwidget.h"
#include "console/widgets/conversationitemdelegate.h"
#include "console/widgets/messagedelegate.h"
#include "console/widgets/transferdialog.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
using Section = ConversationListModel::Section;
constexpr int kLoadOlderThresholdPx = 40;
} // namespace

ConversationView::ConversationView(WorkspaceController *controller, QWidget *parent)
    : QWidget(parent), m_controller(controller)
{
    setObjectName(u"conversationView"_s);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_pages = new QStackedWidget(this);
    outer->addWidget(m_pages);

    auto *placeholder = new QLabel(tr("Select a conversation on the left."), m_pages);
    placeholder->setAlignment(Qt::AlignCenter);
    m_pages->addWidget(placeholder);

    auto *page = new QWidget(m_pages);
    auto *layout = new QVBoxLayout(page);
    auto *header = new QHBoxLayout;
    auto *titles = new QVBoxLayout;
    m_title = new QLabel(page);
    m_title->setObjectName(u"conversationTitle"_s);
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    m_title->setFont(big);
    m_presence = new QLabel(page);
    m_status = new QLabel(page);
    m_status->setObjectName(u"conversationStatus"_s);
    m_typing = new QLabel(page);
    m_typing->setObjectName(u"typingLabel"_s);
    QFont italic = m_typing->font();
    italic.setItalic(true);
    m_typing->setFont(italic);
    QPalette accent = m_typing->palette();
    accent.setColor(QPalette::WindowText, QColor(0x1f, 0x6f, 0xeb));
    m_typing->setPalette(accent);
    auto *titleLine = new QHBoxLayout;
    titleLine->addWidget(m_title);
    titleLine->addWidget(m_presence);
    titleLine->addStretch();
    titles->addLayout(titleLine);
    titles->addWidget(m_status);
    header->addLayout(titles, 1);
    m_claim = new QPushButton(tr("Claim"), page);
    m_claim->setObjectName(u"claimButton"_s);
    m_claim->setToolTip(tr("Take this chat: the customer's messages come to you."));
    m_transfer = new QPushButton(tr("Transfer…"), page);
    m_transfer->setObjectName(u"transferButton"_s);
    m_close = new QPushButton(tr("Close chat"), page);
    m_close->setObjectName(u"closeButton"_s);
    header->addWidget(m_claim);
    header->addWidget(m_transfer);
    header->addWidget(m_close);
    layout->addLayout(header);

    m_messages = new QListView(page);
    m_messages->setObjectName(u"messageList"_s);
    m_messages->setItemDelegate(new MessageDelegate(m_messages));
    m_messages->setSelectionMode(QAbstractItemView::NoSelection);
    m_messages->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_messages->setResizeMode(QListView::Adjust);
    m_messages->setUniformItemSizes(false);
    m_messages->setWordWrap(true);
    m_messages->setFocusPolicy(Qt::NoFocus);
    layout->addWidget(m_messages, 1);
    layout->addWidget(m_typing);

    m_hint = new QLabel(page);
    m_hint->setObjectName(u"composerHint"_s);
    m_hint->setWordWrap(true);
    layout->addWidget(m_hint);
    auto *composeLine = new QHBoxLayout;
    m_composer = new ComposerWidget(page);
    m_send = new QPushButton(tr("Send"), page);
    m_send->setObjectName(u"sendButton"_s);
    composeLine->addWidget(m_composer, 1);
    composeLine->addWidget(m_send, 0, Qt::AlignBottom);
    layout->addLayout(composeLine);
    m_pages->addWidget(page);

    connect(m_composer, &ComposerWidget::sendRequested, this, &ConversationView::send);
    connect(m_send, &QPushButton::clicked, m_composer, &ComposerWidget::submit);
    connect(m_composer, &ComposerWidget::typingActivity, this, [this] {
        if (m_conversationId > 0)
            m_controller->sendTyping(m_conversationId);
    });
    connect(m_claim, &QPushButton::clicked, this, [this] {
        if (m_conversationId > 0) {
            m_claim->setEnabled(false);
            m_controller->claim(m_conversationId);
        }
    });
    connect(m_transfer, &QPushButton::clicked, this, &ConversationView::requestTransfer);
    connect(m_close, &QPushButton::clicked, this, [this] {
        if (m_conversationId <= 0)
            return;
        const auto answer = QMessageBox::question(this, tr("Close chat"),
            tr("Close the chat with %1? The customer can open a new one later.")
                .arg(m_controller->conversations()->title(m_conversationId)));
        if (answer == QMessageBox::Yes)
            m_controller->close(m_conversationId);
    });
    connect(m_messages->verticalScrollBar(), &QScrollBar::valueChanged, this, &ConversationView::onScroll);
    connect(m_messages->verticalScrollBar(), &QScrollBar::rangeChanged, this, [this](int, int maximum) {
        if (m_restoringPosition)
            m_messages->verticalScrollBar()->setValue(maximum - m_distanceFromBottom);
        else if (m_following)
            m_messages->scrollToBottom();
    });

    connect(m_controller, &WorkspaceController::typingChanged, this, [this](qint64 id, bool) {
        if (id == m_conversationId)
            updateState();
    });
    connect(m_controller, &WorkspaceController::conversationChanged, this, [this](qint64 id) {
        if (id == m_conversationId)
            updateState();
    });
    connect(m_controller->directory(), &UserDirectory::presenceChanged, this, &ConversationView::updateState);
    connect(m_controller->directory(), &UserDirectory::namesChanged, this, &ConversationView::updateState);
    // "waiting 3 min" and "last seen" age.
    auto *clock = new QTimer(this);
    clock->setInterval(15000);
    connect(clock, &QTimer::timeout, this, &ConversationView::updateState);
    clock->start();
}

void ConversationView::setConversation(qint64 conversationId)
{
    if (m_model)
        m_model->disconnect(this);
    m_conversationId = conversationId;
    m_model = conversationId > 0 ? m_controller->messages(conversationId) : nullptr;
    m_messages->setModel(m_model);
    m_pages->setCurrentIndex(conversationId > 0 ? 1 : 0);
    m_following = true;
    m_restoringPosition = false;
    if (m_model) {
        connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this, [this](const QModelIndex &, int first) {
            if (first == 0) {
                const QScrollBar *bar = m_messages->verticalScrollBar();
                m_distanceFromBottom = bar->maximum() - bar->value();
            }
        });
        connect(m_model, &MessageListModel::olderMessagesInserted, this, [this] {
            // Keep the messages the operator was reading where they were: the list lays out the
            // new rows later, so apply the offset whenever the range grows, for a moment.
            m_restoringPosition = true;
            QTimer::singleShot(500, this, [this] { m_restoringPosition = false; });
            QScrollBar *bar = m_messages->verticalScrollBar();
            bar->setValue(bar->maximum() - m_distanceFromBottom);
        });
        connect(m_model, &QAbstractItemModel::rowsInserted, this, &ConversationView::scrollToBottomIfFollowing);
        m_messages->scrollToBottom();
    }
    m_composer->clear();
    updateState();
    if (m_composer->isEnabled())
        m_composer->setFocus();
}

void ConversationView::scrollToBottomIfFollowing()
{
    if (m_following)
        QTimer::singleShot(0, m_messages, &QListView::scrollToBottom);
}

void ConversationView::onScroll(int value)
{
    const QScrollBar *bar = m_messages->verticalScrollBar();
    m_following = value >= bar->maximum() - 4;
    if (value <= kLoadOlderThresholdPx && m_conversationId > 0 && m_model && m_model->hasMoreBefore())
        m_controller->loadOlder(m_conversationId);
}

QString ConversationView::typingText() const
{
    return m_typing->text();
}

QString ConversationView::statusText() const
{
    return m_status->text();
}

QString ConversationView::titleText() const
{
    return m_title->text();
}

void ConversationView::updateState()
{
    if (m_conversationId <= 0)
        return;
    const ConversationListModel *list = m_controller->conversations();
    const bool listed = list->contains(m_conversationId);
    const ConversationInfo c = list->conversation(m_conversationId);
    const qint64 counterpart = list->counterpartId(m_conversationId);
    if (listed)
        m_title->setText(list->title(m_conversationId));

    // Presence of the other side.
    QString presence;
    if (counterpart > 0) {
        const UserDirectory::Presence p = m_controller->directory()->presence(counterpart);
        if (p.status == u"online"_s) {
            presence = tr("● online");
        } else if (p.status == u"away"_s) {
            presence = tr("● away");
        } else if (p.lastSeenAt > 0) {
            presence = tr("○ last seen %1")
                           .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(p.lastSeenAt), QLocale::ShortFormat));
        } else if (!p.status.isEmpty()) {
            presence = tr("○ offline");
        }
    }
    m_presence->setText(presence);

    // Status line.
    const qint64 me = m_controller->currentUser().id;
    QString status;
    const bool support = c.type == u"support"_s;
    if (!listed && (support || c.id == 0)) {
        status = tr("This chat is closed.");
    } else if (support) {
        const QString topic = c.title.isEmpty() ? QString() : tr("Topic: %1").arg(c.title) + u" · "_s;
        const Section s = list->section(m_conversationId);
        if (s == Section::Unassigned) {
            status = topic
                + tr("Waiting for an agent since %1")
                      .arg(ConversationItemDelegate::formatDuration(QDateTime::currentMSecsSinceEpoch() - c.createdAt));
        } else if (c.agentId == me) {
            status = topic + tr("Assigned to you");
        } else {
            status = topic + tr("Assigned to %1").arg(m_controller->directory()->displayName(c.agentId));
        }
    } else if (c.type == u"group"_s) {
        status = tr("Group, %n member(s)", nullptr, int(c.participants.size()));
    } else {
        status = tr("Direct chat");
    }
    m_status->setText(status);

    m_typing->setText(m_controller->isTyping(m_conversationId)
            ? tr("%1 is typing…").arg(m_controller->directory()->displayName(counterpart))
            : QString());

    const bool canWrite = m_controller->canWrite(m_conversationId);
    const bool canClaim = m_controller->canClaim(m_conversationId);
    const bool mine = listed && support && list->section(m_conversationId) == Section::Mine;
    m_claim->setVisible(support && listed);
    m_claim->setEnabled(canClaim);
    m_transfer->setVisible(support && listed);
    m_transfer->setEnabled(mine || canClaim);
    m_close->setVisible(support && listed);
    m_close->setEnabled(listed);
    m_composer->setEnabled(canWrite);
    m_send->setEnabled(canWrite);
    if (!listed && support)
        m_hint->setText(tr("This chat is closed; nothing more can be sent."));
    else if (canClaim)
        m_hint->setText(tr("Claim this chat to answer the customer."));
    else if (support && !canWrite)
        m_hint->setText(tr("Another agent holds this chat."));
    else
        m_hint->clear();
    m_hint->setVisible(!m_hint->text().isEmpty());
}

void ConversationView::send(const QString &text)
{
    if (m_conversationId <= 0 || !m_controller->canWrite(m_conversationId))
        return;
    m_following = true;
    m_controller->sendText(m_conversationId, text);
    m_messages->scrollToBottom();
}

void ConversationView::requestTransfer()
{
    if (m_conversationId <= 0)
        return;
    m_controller->refreshAgents();
    TransferDialog dialog(m_controller->agents(), m_controller->conversations()->title(m_conversationId), this);
    if (dialog.exec() == QDialog::Accepted && dialog.selectedAgentId() > 0)
        m_controller->transfer(m_conversationId, dialog.selectedAgentId());
}

} // namespace Switchboard::Console
