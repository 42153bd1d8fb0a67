#include "console/widgets/transferdialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QVBoxLayout>

#include "console/models/agentlistmodel.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

TransferDialog::TransferDialog(AgentListModel *agents, const QString &conversationTitle, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Transfer chat"));
    setObjectName(u"transferDialog"_s);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Transfer the chat with %1 to:").arg(conversationTitle), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_online = new QSortFilterProxyModel(this);
    m_online->setSourceModel(agents);
    m_online->setFilterRole(AgentListModel::StatusRole);
    m_online->setFilterRegularExpression(QRegularExpression(u"^(online|away)$"_s));
    m_view = new QListView(this);
    m_view->setModel(m_online);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    layout->addWidget(m_view);
    m_empty = new QLabel(tr("No other agent is online right now."), this);
    layout->addWidget(m_empty);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Transfer"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &TransferDialog::updateState);
    connect(m_view, &QListView::doubleClicked, this, [this] {
        if (selectedAgentId() > 0)
            accept();
    });
    connect(m_online, &QAbstractItemModel::rowsInserted, this, &TransferDialog::updateState);
    connect(m_online, &QAbstractItemModel::rowsRemoved, this, &TransferDialog::updateState);
    connect(m_online, &QAbstractItemModel::modelReset, this, &TransferDialog::updateState);
    connect(m_online, &QAbstractItemModel::layoutChanged, this, &TransferDialog::updateState);
    updateState();
    resize(380, 320);
}

qint64 TransferDialog::selectedAgentId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? 0 : rows.first().data(AgentListModel::UserIdRole).toLongLong();
}

bool TransferDialog::selectAgent(qint64 agentId)
{
    for (int row = 0; row < m_online->rowCount(); ++row) {
        const QModelIndex index = m_online->index(row, 0);
        if (index.data(AgentListModel::UserIdRole).toLongLong() == agentId) {
            m_view->setCurrentIndex(index);
            return true;
        }
    }
    return false;
}

void TransferDialog::updateState()
{
    m_empty->setVisible(m_online->rowCount() == 0);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(selectedAgentId() > 0);
}

} // namespace Switchboard::Console
