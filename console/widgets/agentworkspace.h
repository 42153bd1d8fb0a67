#pragma once

#include <QWidget>

#include "console/models/conversationlistmodel.h"

QT_BEGIN_NAMESPACE
class QFrame;
class QLabel;
class QListView;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
QT_END_NAMESPACE

namespace Switchboard::Console {

class ConversationView;
class WorkspaceController;

// The agent's main page: the waiting-customers banner, the lists (unassigned support chats,
// mine, colleagues', direct chats) with unread badges and waiting times, and the conversation.
class AgentWorkspace final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AgentWorkspace)

public:
    using Section = ConversationListModel::Section;

    explicit AgentWorkspace(WorkspaceController *controller, QWidget *parent = nullptr);

    ConversationView *conversationView() const { return m_view; }
    QListView *listView(Section section) const;
    QTabWidget *tabs() const { return m_tabs; }
    // Shows the conversation (switching to its list); false when it is not listed.
    bool selectConversation(qint64 conversationId);
    QString bannerText() const;
    bool isBannerVisible() const;

private:
    void addList(Section section);
    void onCurrentChanged(const QModelIndex &current, const QModelIndex &previous);
    void updateCounts();
    void claimOldest();

    WorkspaceController *m_controller = nullptr;
    QTabWidget *m_tabs = nullptr;
    QListView *m_lists[4] = {};
    QSortFilterProxyModel *m_proxies[4] = {};
    ConversationView *m_view = nullptr;
    QFrame *m_banner = nullptr;
    QLabel *m_bannerText = nullptr;
    QPushButton *m_bannerButton = nullptr;
};

} // namespace Switchboard::Console
