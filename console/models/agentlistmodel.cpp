#include "console/models/agentlistmodel.h"

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

namespace {
int rank(const QString &status)
{
    if (status == u"online"_s)
        return 0;
    if (status == u"away"_s)
        return 1;
    return 2;
}
} // namespace

AgentListModel::AgentListModel(QObject *parent) : QAbstractListModel(parent)
{ }

int AgentListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant AgentListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const Item &item = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole: {
        const QString name = item.user.displayName.isEmpty() ? item.user.username : item.user.displayName;
        QString status;
        if (item.status == u"online"_s)
            status = tr("online");
        else if (item.status == u"away"_s)
            status = tr("away");
        else
            status = tr("offline");
        return tr("%1 (%2) — %3").arg(name, item.user.username, status);
    }
    case UserIdRole:
        return item.user.id;
    case StatusRole:
        return item.status;
    case RoleRole:
        return item.user.role;
    case Qt::ToolTipRole:
        return item.user.role == u"admin"_s ? tr("Administrator") : tr("Agent");
    default:
        return {};
    }
}

void AgentListModel::setAgents(const QList<UserInfo> &users, qint64 excludedUserId)
{
    beginResetModel();
    QList<Item> previous = m_items;
    m_items.clear();
    for (const UserInfo &u : users) {
        if (u.id == excludedUserId || (u.role != u"agent"_s && u.role != u"admin"_s))
            continue;
        Item item {u, {}};
        for (const Item &p : std::as_const(previous)) {
            if (p.user.id == u.id)
                item.status = p.status;
        }
        m_items.append(item);
    }
    endResetModel();
    sort();
}

void AgentListModel::setPresence(qint64 userId, const QString &status)
{
    for (Item &item : m_items) {
        if (item.user.id == userId && item.status != status) {
            item.status = status;
            sort();
            return;
        }
    }
}

int AgentListModel::onlineCount() const
{
    return int(std::count_if(m_items.cbegin(), m_items.cend(), [](const Item &i) { return i.status == u"online"_s; }));
}

qint64 AgentListModel::userIdAt(int row) const
{
    return row >= 0 && row < m_items.size() ? m_items.at(row).user.id : 0;
}

void AgentListModel::sort()
{
    Q_EMIT layoutAboutToBeChanged();
    // Selections (persistent indexes) follow their agent to the new row.
    const QModelIndexList before = persistentIndexList();
    QList<qint64> ids;
    for (const QModelIndex &i : before)
        ids.append(i.row() < m_items.size() ? m_items.at(i.row()).user.id : 0);
    std::stable_sort(m_items.begin(), m_items.end(), [](const Item &a, const Item &b) {
        if (rank(a.status) != rank(b.status))
            return rank(a.status) < rank(b.status);
        return a.user.username < b.user.username;
    });
    QModelIndexList after;
    for (qint64 id : std::as_const(ids)) {
        QModelIndex target;
        for (qsizetype row = 0; row < m_items.size(); ++row) {
            if (m_items.at(row).user.id == id)
                target = index(int(row));
        }
        after.append(target);
    }
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged();
}

} // namespace Switchboard::Console
