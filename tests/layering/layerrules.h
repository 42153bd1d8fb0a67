#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace Switchboard::Tests {

// The include rules between the project's folders (docs/architecture.md, "Layers"). A folder is
// named by its path from the repository root ("server/services"); files directly in a component
// folder ("console/main.cpp") belong to its root layer ("console"). A file may include its own
// folder and any folder of a lower rank in the same component, plus the components that
// component may depend on (server and console on shared; shared on nothing of ours). Siblings
// (same rank) never include each other.
class LayerRules
{
public:
    struct Violation
    {
        QString file; // repository-relative path of the including file
        int line = 0;
        QString include; // what it includes
        QString reason;
    };

    // The rules of this repository.
    static LayerRules project();

    // Checks every .h/.cpp below `root`/`component` for each component with rules.
    QList<Violation> check(const QString &root) const;
    // Checks one file's text (exposed for the test of the checker itself).
    QList<Violation> checkFile(const QString &relativePath, const QString &text) const;

    // The layer folder a file belongs to; empty if none.
    QString layerFolderOf(const QString &path) const;

    void addComponent(const QString &component, const QStringList &mayUse);
    // Rank of a folder in its component; higher ranks may include lower ones.
    void addLayer(const QString &folder, int rank);

private:
    struct Layer
    {
        QString folder;
        int rank = 0;
    };
    struct Component
    {
        QString name;
        QStringList mayUse;
    };
    const Layer *layerOf(const QString &path) const;
    const Component *componentOf(const QString &path) const;

    QList<Component> m_components;
    QList<Layer> m_layers;
};

} // namespace Switchboard::Tests
