#include "tests/layering/layerrules.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Switchboard::Tests {

LayerRules LayerRules::project()
{
    LayerRules rules;
    rules.addComponent(u"shared"_s, {});
    rules.addLayer(u"shared/protocol"_s, 0);
    rules.addLayer(u"shared/eventloop"_s, 0);
    rules.addLayer(u"shared/client"_s, 1);

    rules.addComponent(u"server"_s, {u"shared"_s});
    rules.addLayer(u"server/storage"_s, 0);
    rules.addLayer(u"server/base"_s, 1);
    rules.addLayer(u"server/security"_s, 1);
    rules.addLayer(u"server/sessions"_s, 1);
    rules.addLayer(u"server/services"_s, 2);
    rules.addLayer(u"server/ws"_s, 3);
    rules.addLayer(u"server/http"_s, 3);
    rules.addLayer(u"server/app"_s, 4);

    rules.addComponent(u"console"_s, {u"shared"_s});
    rules.addLayer(u"console/models"_s, 0);
    rules.addLayer(u"console/app"_s, 1);
    rules.addLayer(u"console/widgets"_s, 2);
    rules.addLayer(u"console"_s, 3); // main.cpp and the composition root beside it

    rules.addComponent(u"bench"_s, {u"shared"_s});
    rules.addLayer(u"bench/harness"_s, 0);
    rules.addLayer(u"bench/modes"_s, 1);
    rules.addLayer(u"bench"_s, 2); // main.cpp and the catalog of modes
    return rules;
}

void LayerRules::addComponent(const QString &component, const QStringList &mayUse)
{
    m_components.append({component, mayUse});
}

void LayerRules::addLayer(const QString &folder, int rank)
{
    m_layers.append({folder, rank});
}

const LayerRules::Layer *LayerRules::layerOf(const QString &path) const
{
    // The longest folder that contains the file directly, or through a sub-folder of its own.
    const Layer *best = nullptr;
    for (const Layer &layer : m_layers) {
        if (path.startsWith(layer.folder + u'/') && (!best || layer.folder.size() > best->folder.size()))
            best = &layer;
    }
    return best;
}

QString LayerRules::layerFolderOf(const QString &path) const
{
    const Layer *layer = layerOf(path);
    return layer ? layer->folder : QString();
}

const LayerRules::Component *LayerRules::componentOf(const QString &path) const
{
    for (const Component &c : m_components) {
        if (path.startsWith(c.name + u'/'))
            return &c;
    }
    return nullptr;
}

QList<LayerRules::Violation> LayerRules::checkFile(const QString &relativePath, const QString &text) const
{
    static const QRegularExpression includeLine(
        uR"re(^[ \t]*#[ \t]*include[ \t]*"([^"]+)")re"_s, QRegularExpression::MultilineOption);
    QList<Violation> found;
    const Component *component = componentOf(relativePath);
    const Layer *layer = layerOf(relativePath);
    if (!component || !layer)
        return found;
    auto lineOf = [&text](qsizetype offset) { return int(text.left(offset).count(u'\n')) + 1; };
    for (auto it = includeLine.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        const QString include = match.captured(1);
        auto report = [&](const QString &reason) {
            found.append({relativePath, lineOf(match.capturedStart()), include, reason});
        };
        const Component *target = componentOf(include);
        if (!target) {
            // Relative includes would dodge the rules: every project include names its folder.
            report(u"project includes are written from the repository root"_s);
            continue;
        }
        if (target != component) {
            if (!component->mayUse.contains(target->name))
                report(u"%1 may not depend on %2"_s.arg(component->name, target->name));
            continue;
        }
        const Layer *targetLayer = layerOf(include);
        if (!targetLayer) {
            report(u"%1 is in no layer"_s.arg(include));
            continue;
        }
        if (targetLayer == layer)
            continue;
        if (targetLayer->rank == layer->rank)
            report(u"%1 and %2 are siblings"_s.arg(layer->folder, targetLayer->folder));
        else if (targetLayer->rank > layer->rank)
            report(u"%1 is above %2"_s.arg(targetLayer->folder, layer->folder));
    }
    return found;
}

QList<LayerRules::Violation> LayerRules::check(const QString &root) const
{
    QList<Violation> found;
    const QDir rootDir(root);
    for (const Component &component : m_components) {
        QDirIterator it(
            rootDir.filePath(component.name), {u"*.h"_s, u"*.cpp"_s}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                found.append({rootDir.relativeFilePath(path), 0, {}, u"cannot be read"_s});
                continue;
            }
            found.append(checkFile(rootDir.relativeFilePath(path), QString::fromUtf8(file.readAll())));
        }
    }
    return found;
}

} // namespace Switchboard::Tests
