#include "console/widgets/agentworkspace.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "console/app/workspacecontroller.h"
#include "console/widgets/conversationitemdelegate.h"
#include "console/widgets/conversationview.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

AgentWorkspace::AgentWorkspace(WorkspaceController *controller, QWidget *parent)
    : QWidget(parent), m_controller(controller)
{
    setObjectName(u"agentWorkspace"_s);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    // Impossible to overlook: a red bar for as long as a customer waits for an agent.
    m_banner = new QFrame(this);
    m_banner->setObjectName(u"waitingBanner"_s);
    m_banner->setAutoFillBackground(true);
    QPalette alarm = m_banner->palette();
    alarm.setColor(QPalette::Window, QColor(0xd9, 0x30, 0x25));
    alarm.setColor(QPalette::WindowText, Qt::white);
    m_banner->setPalette(alarm);
    auto *bannerLayout = new QHBoxLayout(m_banner);
    m_bannerText = new QLabel(m_banner);
    QFont bold = m_bannerText->font();
    bold.setBold(true);
    m_bannerText->setFont(bold);
    m_bannerButton = new QPushButton(tr("Claim the oldest"), m_banner);
    m_bannerButton->setObjectName(u"claimOldestButton"_s);
    bannerLayout->addWidget(m_bannerText, 1);
    bannerLayout->addWidget(m_bannerButton);
    layout->addWidget(m_banner);
    m_banner->hide();

    auto *splitter = new QSplitter(this);
    m_tabs = new QTabWidget(splitter);
    m_tabs->setObjectName(u"conversationTabs"_s);
    // All four lists always visible as tabs (no scroll arrows hiding "Direct").
    m_tabs->setUsesScrollButtons(false);
    m_tabs->setElideMode(Qt::ElideNone);
    addList(Section::Unassigned);
    addList(Section::Mine);
    addList(Section::OtherAgents);
    addList(Section::Direct);
    m_view = new ConversationView(controller, splitter);
    splitter->addWidget(m_tabs);
    splitter->addWidget(m_view);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({400, 860});
    layout->addWidget(splitter, 1);

    ConversationListModel *model = controller->conversations();
    connect(model, &QAbstractItemModel::rowsInserted, this, &AgentWorkspace::updateCounts);
    connect(model, &QAbstractItemModel::rowsRemoved, this, &AgentWorkspace::updateCounts);
    connect(model, &QAbstractItemModel::modelReset, this, &AgentWorkspace::updateCounts);
    connect(model, &QAbstractItemModel::dataChanged, this, &AgentWorkspace::updateCounts);
    connect(m_bannerButton, &QPushButton::clicked, this, &AgentWorkspace::claimOldest);
    connect(controller, &WorkspaceController::supportChatAssigned, this, [this](qint64 id) {
        // The chat the operator just claimed moves to "Mine": follow it there.
        if (m_view->conversationId() == id)
            selectConversation(id);
    });
    connect(controller, &WorkspaceController::conversationRemoved, this, [this](qint64 id) {
        if (m_view->conversationId() == id)
            m_view->updateState();
    });

    // Waiting times tick.
    auto *clock = new QTimer(this);
    clock->setInterval(1000);
    connect(clock, &QTimer::timeout, this, [this] {
        for (QListView *list : m_lists)
            list->viewport()->update();
        updateCounts();
    });
    clock->start();
    updateCounts();
}

void AgentWorkspace::addList(Section section)
{
    const int i = int(section);
    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_controller->conversations());
    proxy->setFilterRole(ConversationListModel::SectionRole);
    proxy->setFilterFixedString(QString::number(i));
    proxy->setDynamicSortFilter(true);
    if (section == Section::Unassigned) {
        proxy->setSortRole(ConversationListModel::CreatedAtRole); // oldest first: first come, first served
        proxy->sort(0, Qt::AscendingOrder);
    } else {
        proxy->setSortRole(ConversationListModel::LastActivityRole);
        proxy->sort(0, Qt::DescendingOrder);
    }
    auto *list = new QListView(m_tabs);
    list->setObjectName(u"conversationList%1"_s.arg(i));
    list->setModel(proxy);
    list->setItemDelegate(new ConversationItemDelegate(list));
    list->setSelectionMode(QAbstractItemView::SingleSelection);
    list->setUniformItemSizes(true);
    connect(list->selectionModel(), &QItemSelectionModel::currentChanged, this, &AgentWorkspace::onCurrentChanged);
    m_lists[i] = list;
    m_proxies[i] = proxy;
    m_tabs->addTab(list, QString());
}

QListView *AgentWorkspace::listView(Section section) const
{
    return m_lists[int(section)];
}

void AgentWorkspace::onCurrentChanged(const QModelIndex &current, const QModelIndex &previous)
{
    if (!current.isValid())
        return;
    auto *selection = qobject_cast<QItemSelectionModel *>(sender());
    if (previous.isValid() && selection) {
        // The chat on screen is leaving this list (claimed, transferred, closed) and the selection
        // model moved "current" to its neighbour: that is not the operator's choice, so stay.
        const qint64 previousId = previous.data(ConversationListModel::ConversationIdRole).toLongLong();
        int listSection = -1;
        for (int i = 0; i < 4; ++i) {
            if (m_lists[i]->selectionModel() == selection)
                listSection = i;
        }
        const ConversationListModel *model = m_controller->conversations();
        if (previousId == m_view->conversationId()
            && (!model->contains(previousId) || int(model->section(previousId)) != listSection)) {
            QTimer::singleShot(0, selection, [selection] { selection->clearCurrentIndex(); });
            return;
        }
    }
    const qint64 id = current.data(ConversationListModel::ConversationIdRole).toLongLong();
    // One selection across the four lists.
    for (QListView *list : m_lists) {
        if (list->selectionModel() != sender() && list->currentIndex().isValid())
            list->selectionModel()->clearCurrentIndex();
    }
    if (id == m_view->conversationId())
        return;
    m_controller->setActiveConversation(id);
    m_view->setConversation(id);
}

bool AgentWorkspace::selectConversation(qint64 conversationId)
{
    ConversationListModel *model = m_controller->conversations();
    if (!model->contains(conversationId))
        return false;
    const int section = int(model->section(conversationId));
    const QModelIndex source = model->modelIndex(conversationId);
    const QModelIndex index = m_proxies[section]->mapFromSource(source);
    if (!index.isValid())
        return false;
    m_tabs->setCurrentIndex(section);
    m_lists[section]->setCurrentIndex(index);
    if (m_view->conversationId() != conversationId) {
        m_controller->setActiveConversation(conversationId);
        m_view->setConversation(conversationId);
    }
    return true;
}

void AgentWorkspace::updateCounts()
{
    const ConversationListModel *model = m_controller->conversations();
    const QString titles[4] = {tr("Unassigned"), tr("Mine"), tr("Colleagues"), tr("Direct")};
    for (int i = 0; i < 4; ++i) {
        const int count = m_proxies[i]->rowCount();
        m_tabs->setTabText(i, count > 0 ? tr("%1 (%2)").arg(titles[i]).arg(count) : titles[i]);
    }
    m_tabs->tabBar()->setTabTextColor(0, m_proxies[0]->rowCount() > 0 ? QColor(0xd9, 0x30, 0x25) : QColor());
    const int waiting = model->unassignedCount();
    if (waiting > 0) {
        const qint64 oldest = model->oldestUnassignedAt();
        m_bannerText->setText(
            tr("%n customer(s) waiting for an agent — the first for %1", nullptr, waiting)
                .arg(ConversationItemDelegate::formatDuration(QDateTime::currentMSecsSinceEpoch() - oldest)));
    }
    m_banner->setVisible(waiting > 0);
}

QString AgentWorkspace::bannerText() const
{
    return m_bannerText->text();
}

bool AgentWorkspace::isBannerVisible() const
{
    return !m_banner->isHidden();
}

void AgentWorkspace::claimOldest()
{
    QSortFilterProxyModel *unassigned = m_proxies[int(Section::Unassigned)];
    if (unassigned->rowCount() == 0)
        return;
    const qint64 id = unassigned->index(0, 0).data(ConversationListModel::ConversationIdRole).toLongLong();
    selectConversation(id);
    m_controller->claim(id);
}

} // namespace Switchboard::Console
