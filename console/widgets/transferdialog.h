#pragma once

#include <QDialog>

QT_BEGIN_NAMESPACE
class QDialogButtonBox;
class QLabel;
class QListView;
class QSortFilterProxyModel;
QT_END_NAMESPACE

namespace Switchboard::Console {

class AgentListModel;

// Picks the online agent a support chat goes to.
class TransferDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TransferDialog)

public:
    TransferDialog(AgentListModel *agents, const QString &conversationTitle, QWidget *parent = nullptr);

    // 0 until an agent is selected.
    qint64 selectedAgentId() const;
    // Selects an agent by id (tests, keyboard users); false when not listed.
    bool selectAgent(qint64 agentId);
    QListView *view() const { return m_view; }

private:
    void updateState();

    QSortFilterProxyModel *m_online = nullptr;
    QListView *m_view = nullptr;
    QLabel *m_empty = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace Switchboard::Console
