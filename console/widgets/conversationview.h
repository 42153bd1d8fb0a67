#pragma once

#include <QPointer>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QLabel;
class QListView;
class QPushButton;
class QStackedWidget;
QT_END_NAMESPACE

namespace Switchboard::Console {

class ComposerWidget;
class MessageListModel;
class WorkspaceController;

// One conversation: header (name, presence, topic, status, typing indicator), the message list
// (older history loads when scrolled to the top), the support actions (claim, transfer, close)
// and the composer.
class ConversationView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConversationView)

public:
    explicit ConversationView(WorkspaceController *controller, QWidget *parent = nullptr);

    // 0 shows the placeholder.
    void setConversation(qint64 conversationId);
    qint64 conversationId() const { return m_conversationId; }

    QListView *messageView() const { return m_messages; }
    ComposerWidget *composer() const { return m_composer; }
    QPushButton *claimButton() const { return m_claim; }
    QPushButton *transferButton() const { return m_transfer; }
    QPushButton *closeButton() const { return m_close; }
    QPushButton *sendButton() const { return m_send; }
    QString typingText() const;
    QString statusText() const;
    QString titleText() const;

    // Header, buttons and composer from the controller's current knowledge.
    void updateState();
    // Opens the transfer dialog (the Transfer… button).
    void requestTransfer();

private:
    void send(const QString &text);
    void onScroll(int value);
    void scrollToBottomIfFollowing();

    WorkspaceController *m_controller = nullptr;
    QPointer<MessageListModel> m_model;
    qint64 m_conversationId = 0;
    QStackedWidget *m_pages = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_presence = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_typing = nullptr;
    QLabel *m_hint = nullptr;
    QListView *m_messages = nullptr;
    ComposerWidget *m_composer = nullptr;
    QPushButton *m_send = nullptr;
    QPushButton *m_claim = nullptr;
    QPushButton *m_transfer = nullptr;
    QPushButton *m_close = nullptr;
    bool m_following = true; // stick to the bottom while new messages arrive
    int m_distanceFromBottom = 0; // kept while older messages are prepended
    bool m_restoringPosition = false;
};

} // namespace Switchboard::Console
